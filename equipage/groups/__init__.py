"""Group tree with public/private propagation, and labels."""
