// Pick an arrival on the event page's waveform plot: a click on a trace fills the
// "Add arrival" form with the trace's station and the clicked time (UTC).
// The plot's layout (testban.service.waveforms.render_svg): traces start 150 px from the
// left, end 16 px from the right, and span 30 s before to 120 s after data-t0.
(function () {
  "use strict";
  var svg = document.querySelector("svg.waveforms");
  var form = document.querySelector("form.review-add_arrival");
  if (!svg || !form) { return; }
  var LEFT = 150, RIGHT = 16, BEFORE = 30, SPAN = 150;
  svg.style.cursor = "crosshair";
  svg.addEventListener("click", function (ev) {
    var box = svg.getBoundingClientRect();
    var vb = svg.viewBox.baseVal;
    var x = (ev.clientX - box.left) * vb.width / box.width;
    var y = (ev.clientY - box.top) * vb.height / box.height;
    var traces = svg.querySelectorAll("g.trace");
    for (var i = 0; i < traces.length; i++) {
      var g = traces[i];
      var top = parseFloat(g.dataset.top), row = parseFloat(g.dataset.row);
      if (y < top || y >= top + row) { continue; }
      var rel = (x - LEFT) / (vb.width - LEFT - RIGHT) * SPAN - BEFORE;
      if (rel < -BEFORE || rel > SPAN - BEFORE) { return; }
      var t = parseFloat(g.dataset.t0) + rel;
      form.querySelector("input[name=sta]").value = g.dataset.sta;
      form.querySelector("input[name=time]").value = new Date(t * 1000).toISOString().replace("Z", "");
      form.scrollIntoView({block: "nearest"});
      return;
    }
  });
})();
