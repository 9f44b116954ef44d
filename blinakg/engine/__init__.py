"""The screening engines: derivation, the set-at-a-time engine and pySHACL, the reference."""
