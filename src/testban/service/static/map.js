/* testban maps: Leaflet on an offline Natural Earth basemap (world-atlas TopoJSON).
   No tiles, no network beyond this server. */
(function () {
  "use strict";

  function depthColour(depth) {
    if (depth === null || depth === undefined) return "#7f8c8d";
    if (depth < 35) return "#d7301f";
    if (depth < 70) return "#fc8d59";
    if (depth < 300) return "#41ab5d";
    return "#2166ac";
  }

  function radius(mag) {
    if (mag === null || mag === undefined) return 4;
    return Math.max(3, Math.min(14, 3 + 2.2 * (mag - 2.5)));
  }

  function residualColour(res) {
    if (res === null || res === undefined) return "#555";
    const x = Math.max(-1, Math.min(1, res / 3));
    if (x < 0) return "rgb(" + Math.round(255 * (1 + x)) + "," + Math.round(255 * (1 + x)) + ",255)";
    return "rgb(255," + Math.round(255 * (1 - x)) + "," + Math.round(255 * (1 - x)) + ")";
  }

  function esc(s) {
    return String(s === null || s === undefined ? "" : s).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  }

  /* Longitudes of a ring made continuous, so an ellipse across the date line stays whole. */
  function unwrapRing(ring) {
    const out = [];
    let prev = null;
    ring.forEach(function (p) {
      let lon = p[0];
      if (prev !== null) lon += 360 * Math.round((prev - lon) / 360);
      out.push([p[1], lon]);
      prev = lon;
    });
    return out;
  }

  /* Natural Earth rings that cross the date line jump by 360°: make them continuous. */
  function unwrapGeometry(feature) {
    const g = feature.geometry;
    if (!g) return;
    const polygons = g.type === "Polygon" ? [g.coordinates] :
      (g.type === "MultiPolygon" ? g.coordinates : []);
    polygons.forEach(function (rings) {
      rings.forEach(function (ring) {
        for (let i = 1; i < ring.length; i++) {
          ring[i][0] += 360 * Math.round((ring[i - 1][0] - ring[i][0]) / 360);
        }
      });
    });
  }

  function baseMap(id) {
    const el = document.getElementById(id);
    const map = L.map(el, {worldCopyJump: true, minZoom: 1, maxZoom: 10, attributionControl: true});
    map.setView([20, 0], 2);
    map.createPane("basemap");
    map.getPane("basemap").style.zIndex = 250;
    map.attributionControl.setPrefix("Leaflet");
    map.attributionControl.addAttribution("Natural Earth (world-atlas)");
    const grid = [];
    for (let lat = -60; lat <= 60; lat += 30) grid.push([[lat, -540], [lat, 540]]);
    for (let lon = -540; lon <= 540; lon += 30) grid.push([[-85, lon], [85, lon]]);
    L.polyline(grid, {pane: "basemap", color: "#ffffff", weight: 0.5, opacity: 0.6,
                      interactive: false}).addTo(map);
    fetch(el.dataset.countries).then(function (r) { return r.json(); }).then(function (topo) {
      const land = topojson.feature(topo, topo.objects.countries);
      land.features.forEach(unwrapGeometry);
      const style = {pane: "basemap", color: "#a39e8f", weight: 0.6, fillColor: "#f2efe6",
                     fillOpacity: 1, interactive: false};
      [-360, 0, 360].forEach(function (shift) {
        L.geoJSON(land, {
          style: function () { return style; }, pane: "basemap", interactive: false,
          coordsToLatLng: function (c) { return L.latLng(c[1], c[0] + shift); }
        }).addTo(map);
      });
    }).catch(function (e) { console.error("basemap", e); });
    return map;
  }

  function readJSON(id) {
    return JSON.parse(document.getElementById(id).textContent);
  }

  function addLegend(map) {
    const legend = L.control({position: "bottomright"});
    legend.onAdd = function () {
      const div = L.DomUtil.create("div", "legend");
      div.innerHTML = "<b>Depth</b><br>" + [[10, "&lt; 35 km"], [50, "35–70 km"],
        [100, "70–300 km"], [400, "&gt; 300 km"]].map(function (d) {
          return '<i style="background:' + depthColour(d[0]) + '"></i>' + d[1];
        }).join("<br>");
      return div;
    };
    legend.addTo(map);
  }

  function events(mapId, dataId) {
    const map = baseMap(mapId);
    const eventUrl = document.getElementById(mapId).dataset.eventUrl;
    const data = readJSON(dataId);
    const ellipses = L.featureGroup().addTo(map);
    const points = L.featureGroup().addTo(map);
    data.features.forEach(function (f) {
      const p = f.properties;
      if (p.kind === "ellipse90") {
        L.polygon(unwrapRing(f.geometry.coordinates[0]), {
          color: "#c0392b", weight: 1, fillOpacity: 0.08, interactive: false
        }).addTo(ellipses);
      } else if (p.kind === "event") {
        const c = f.geometry.coordinates;
        const mag = p.mb !== null ? p.mb : (p.ms !== null ? p.ms : p.ml);
        L.circleMarker([c[1], c[0]], {
          radius: radius(mag), color: "#222", weight: 0.8,
          fillColor: depthColour(p.depth), fillOpacity: 0.85
        }).bindPopup(
          '<a href="' + eventUrl + esc(p.evid) + '"><b>' + esc(p.time) + "</b></a><br>" +
          esc(p.name) + "<br>" +
          (mag !== null ? "mag " + mag.toFixed(2) + " · " : "") +
          (p.depth !== null ? "depth " + p.depth.toFixed(1) + " km" : "") +
          (p.smajax90 ? "<br>90 % ellipse " + p.smajax90.toFixed(1) + " × " +
           p.sminax90.toFixed(1) + " km" : "")
        ).addTo(points);
      }
    });
    // Frame the epicentres, not the ellipses: one poorly constrained event's ellipse
    // would otherwise decide the view.
    if (points.getLayers().length) {
      map.fitBounds(points.getBounds().pad(0.15), {maxZoom: 6});
    }
    addLegend(map);
    return map;
  }

  function event(mapId, dataId) {
    const map = baseMap(mapId);
    const data = readJSON(dataId);
    const layers = L.featureGroup().addTo(map);
    let epi = null;
    data.features.forEach(function (f) {
      if (f.properties.kind === "event") epi = f.geometry.coordinates;
    });
    data.features.forEach(function (f) {
      const p = f.properties;
      const c = f.geometry.coordinates;
      if (p.kind === "ellipse90") {
        L.polygon(unwrapRing(c[0]), {color: "#c0392b", weight: 2, fillOpacity: 0.15})
          .bindTooltip("90 % error ellipse").addTo(layers);
      } else if (p.kind === "station") {
        let lon = c[0];
        if (epi) lon += 360 * Math.round((epi[0] - lon) / 360);
        if (epi) {
          L.polyline([[epi[1], epi[0]], [c[1], lon]], {color: "#52606d", weight: 0.8,
                      opacity: 0.6, interactive: false}).addTo(layers);
        }
        L.marker([c[1], lon], {icon: L.divIcon({
          className: "station-icon", iconSize: [16, 16],
          html: '<svg width="16" height="16" viewBox="0 0 16 16"><polygon points="8,1 15,15 1,15"' +
                ' fill="' + residualColour(p.timeres) + '" stroke="#222" stroke-width="1.3"/></svg>'})})
          .bindTooltip(esc(p.sta) + " " + esc(p.phases.join(",")) +
                       (p.timeres !== null ? " res " + p.timeres.toFixed(2) + " s" : ""))
          .addTo(layers);
      }
    });
    if (epi) {
      L.marker([epi[1], epi[0]], {icon: L.divIcon({className: "epicentre-icon",
        iconSize: [22, 22], html: "★"}), zIndexOffset: 1000}).addTo(layers);
    }
    if (layers.getLayers().length) map.fitBounds(layers.getBounds().pad(0.1), {maxZoom: 7});
    return map;
  }

  /* Points with their own colour, name, popup lines and link (radionuclide stations,
     air-sampling sites); the data block may carry a legend: [[colour, text], …]. */
  function points(mapId, dataId) {
    if (!document.getElementById(mapId)) return null;
    const map = baseMap(mapId);
    const data = readJSON(dataId);
    const layer = L.featureGroup().addTo(map);
    data.features.forEach(function (f) {
      const p = f.properties;
      const c = f.geometry.coordinates;
      const text = "<b>" + esc(p.name) + "</b>" + (p.lines || []).map(function (l) {
        return "<br>" + esc(l);
      }).join("");
      L.circleMarker([c[1], c[0]], {
        radius: p.kind === "release" ? 7 : 6, color: "#222", weight: 0.8,
        fillColor: p.colour || "#7f8c8d", fillOpacity: 0.9
      }).bindPopup(p.url ? '<a href="' + esc(p.url) + '">' + text + "</a>" : text).addTo(layer);
    });
    if (layer.getLayers().length) map.fitBounds(layer.getBounds().pad(0.15), {maxZoom: 6});
    if (data.legend && data.legend.length) {
      const legend = L.control({position: "bottomright"});
      legend.onAdd = function () {
        const div = L.DomUtil.create("div", "legend");
        div.innerHTML = data.legend.map(function (d) {
          return '<i style="background:' + esc(d[0]) + '"></i>' + esc(d[1]);
        }).join("<br>");
        return div;
      };
      legend.addTo(map);
    }
    return map;
  }

  window.testbanMap = {events: events, event: event, points: points};
})();
