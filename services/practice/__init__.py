"""Alliance practice: partner health and the portfolio, governance, keeping in touch, what
happened since, precedents of recovery, health checks, the calendar import and the brief."""
