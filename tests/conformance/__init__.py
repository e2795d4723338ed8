"""Federation conformance corpus: strict fixture subgraphs, cases, and the runner."""
