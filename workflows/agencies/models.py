"""What the console keeps of its dealings with tax agencies (VERI*FACTU's chains)."""
