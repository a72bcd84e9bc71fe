//! Go `time.ParseDuration` syntax, as cert-manager parses `duration` and `renewBefore`.
