"""The shipped mutation catalogue of glaverify (docs/reliability.md): realistic bug patterns applied one at
a time to a temporary copy of the package, scored by whether the claim checks (and the tests) catch them."""
