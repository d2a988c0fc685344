"""The shop's area from an OpenStreetMap extract: checking the file, the package folder, its parts and their build."""
