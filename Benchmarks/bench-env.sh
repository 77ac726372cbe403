# Sourced by the load benchmarks: a plan whose limits (key, organization,
# monthly quota) and IP limits are all enforced on every request but set far
# above what wrk can reach on this machine, so nothing is refused and every
# request does the full work.
export PORTICO_PLANS='{"bench": {"name": "Bench", "currency": "usd", "base_price": 0, "overage_per_1000": null,
  "live": {"per_second": 10000000, "per_minute": 1000000000, "organization_per_minute": 1000000000, "daily_quota": null, "monthly_quota": 1000000000},
  "test": {"per_second": 10000000, "per_minute": 1000000000, "organization_per_minute": 1000000000, "daily_quota": null, "monthly_quota": 1000000000}}}'
export PORTICO_RATE_LIMITS_IP_PER_SECOND=10000000 PORTICO_RATE_LIMITS_IP_PER_MINUTE=100000000
