"""The FHIR R4 REST surface: routing, search, bundles, OperationOutcome, CapabilityStatement."""
