"""The report site: what a disclosure office looks at every morning (``etl report``)."""

from etl.report.site import SiteStats, build_site  # noqa: F401
