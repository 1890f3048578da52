import NIOConcurrencyHelpers

/// Prometheus counters.
final class WebMetrics: Sendable {
    private let counts = NIOLockedValueBox([String: Int]())

    func record(status: Int) { counts.withLockedValue { $0["wishes_http_requests_total{code=\"\(status / 100)xx\"}", default: 0] += 1 } }
    func increment(_ name: String) { counts.withLockedValue { $0[name, default: 0] += 1 } }

    var text: String {
        let snapshot = counts.withLockedValue { $0 }
        return "# TYPE wishes_http_requests_total counter\n# TYPE wishes_submitted_total counter\n"
            + snapshot.keys.sorted().map { "\($0) \(snapshot[$0] ?? 0)" }.joined(separator: "\n") + "\n"
    }
}
