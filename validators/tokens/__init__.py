"""Tokens: counted with a real tokenizer (counter.py), over what each type's rows say to a
model (sources.py)."""
