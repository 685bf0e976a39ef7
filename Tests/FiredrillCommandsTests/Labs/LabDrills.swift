import Testing

/// The lab drills, one at a time: each runs real servers (PostgreSQL, pgBackRest, Prometheus,
/// Alertmanager, restic and rclone) for tens of seconds, and on a two-core machine five at once
/// starve each other and the rest of the suite.
@Suite(.serialized) enum LabDrills {}
