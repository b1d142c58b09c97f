//! Typed async clients for the upstreams of the Dezky control plane.
