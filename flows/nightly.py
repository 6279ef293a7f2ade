"""The nightly Prefect flow (thin: everything lives in etl.pipeline).

    python flows/nightly.py                # serve it: Cron 02:00 Asia/Shanghai (needs PREFECT_API_URL)
    prefect --no-prompt deploy --all       # or deploy it from prefect.yaml to a process work pool

Entry point for prefect.yaml: ``flows/nightly.py:nightly``.
"""

import os
import sys

from etl.pipeline import deployment_kwargs, nightly  # noqa: F401  (nightly: the deployment's entrypoint)

if __name__ == "__main__":
    sys.exit(nightly.serve(**deployment_kwargs(
        cron=os.environ.get("ETL_CRON", "0 2 * * *"),
        timezone=os.environ.get("ETL_TIMEZONE", "Asia/Shanghai"),
        raw=os.environ.get("ETL_RAW", "data/raw"),
        warehouse=os.environ.get("ETL_WAREHOUSE", "data/warehouse"),
    )))
