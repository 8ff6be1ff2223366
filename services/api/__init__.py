"""The api: the read side of newsflow over HTTP (search, counts, top facets, export, a live
stream, the web page) and publishing raw articles with a token. Not a stage: it reads the
store the sink writes and the enriched stream, and writes only the raw stream."""
