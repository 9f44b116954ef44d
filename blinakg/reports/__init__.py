"""Reports of a screening: text, JSON, Turtle (W3C SHACL report plus per-criterion results)."""
