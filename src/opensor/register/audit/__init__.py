"""Record time: change sets that every version row points at."""
