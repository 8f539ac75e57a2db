"""One module per dataset type; each declares a SPEC."""
