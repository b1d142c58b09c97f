//! Helpers shared by the tests against the official documents.

use dezky_contract::{OperationRef, Request, Spec, Violation};

/// The request must fail, with a violation at `location`; returns the violations.
#[track_caller]
pub fn rejects(spec: &Spec, request: &Request, location: &str) -> Vec<Violation> {
    match spec.check_request(request) {
        Ok(operation) => panic!("{request} was accepted as {operation}"),
        Err(violations) => {
            assert!(
                violations.iter().any(|v| v.location == location),
                "{request}: expected a violation at {location}, got {violations:#?}"
            );
            violations
        }
    }
}

/// The request must pass; returns the operation.
#[track_caller]
pub fn accepts(spec: &Spec, request: &Request) -> OperationRef {
    spec.assert_request(request)
}
