"""Which households assistance work covers; who may do it is in permissions.py."""

from fupin.registry.codes import HouseholdStatus

# Households that must have a responsible helper: not unpaired until they exit (四定两不).
NEEDS_HELPER = (HouseholdStatus.POOR, HouseholdStatus.MONITORED)
# Households that have a handbook (建档立卡): issued at identification, kept after exit.
HAS_HANDBOOK = (HouseholdStatus.POOR, HouseholdStatus.MONITORED, HouseholdStatus.EXITED)
