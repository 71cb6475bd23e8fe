"""The members directory: an indexed search over the roster, filters, keyset pages, bulk selections."""
