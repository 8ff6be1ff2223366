"""The enricher stage: the analyses of `registry.py` (language, entities, countries, ...) on
each article."""

import os

# NumPy's OpenBLAS starts a worker thread per core when it loads. On the small matrices of
# the NER model the worker only competes with the main thread: the NER takes about 20%
# more CPU per article with it (measured on 2 cores). A stage scales by running more
# processes, so the enricher's BLAS is single-threaded unless the environment says
# otherwise. This must run before NumPy is first imported, hence here.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
