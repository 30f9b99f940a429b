"""Helpers shared by test folders (servers, clients); fixtures stay in the conftest files that use them."""
