"""The administrators' console (``/console``): the dashboard of enrolled nodes, a unit's page,
enrollment and sign-in (``dashboard.py``, with what it says of each node in
``unit_state.py``), the "Điều hành" section: documents and
meetings (``work.py``) and directives (``directives.py``), and the statistics and the overdue
list (``stats.py``), the big screen of the city's directives (``bigscreen.py``). The conflict pages are ``conflicts/pages.py``, the reference data pages
(units of the city, procedures, calendar) ``reference/``, the SMS page ``sms/pages.py``."""

from .bigscreen import bp as bigscreen_bp
from .dashboard import bp as dashboard_bp
from .directives import bp as directives_bp
from .stats import bp as stats_bp
from .work import bp as work_bp

BLUEPRINTS = [dashboard_bp, stats_bp, work_bp, directives_bp, bigscreen_bp]

__all__ = ["BLUEPRINTS"]
