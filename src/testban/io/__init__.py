"""Readers and writers: every byte that enters or leaves testban passes through here."""
