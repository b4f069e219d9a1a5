"""Virtual wards: the registry's virtual-ward teams, admissions, transfers, discharges and the caseload."""
