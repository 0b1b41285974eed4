import Telemetry
import Testing

@Suite("Metrics of hidden collections")
struct MetricsTextFilterTests {
    static let text = """
        # TYPE polytope_requests_submitted_total counter
        polytope_requests_submitted_total{collection="open",datasource="echo"} 3
        polytope_requests_submitted_total{collection="secret",datasource="mars"} 2
        polytope_requests_submitted_total{collection="secret-2",datasource="fdb"} 5
        # TYPE polytope_queue_wait_seconds histogram
        polytope_queue_wait_seconds_bucket{collection="secret",le="0.1"} 1
        polytope_queue_wait_seconds_bucket{collection="secret-2",le="0.1"} 2
        polytope_queue_wait_seconds_bucket{collection="secret",le="+Inf"} 1
        polytope_queue_wait_seconds_bucket{collection="secret-2",le="+Inf"} 4
        polytope_queue_wait_seconds_sum{collection="secret"} 0.25
        polytope_queue_wait_seconds_sum{collection="secret-2"} 0.5
        polytope_queue_wait_seconds_count{collection="secret"} 1
        polytope_served_bytes_total 21
        polytope_odd{note="a \\"quoted\\", {braced} value",collection="secret"} 1.5
        """

    @Test("hidden collections lose their names and add up; visible ones and other series stay as they are")
    func mergesHiddenSeries() {
        let filtered = MetricsTextFilter.filter(Self.text) { $0 == "open" }
        #expect(
            filtered == """
                # TYPE polytope_requests_submitted_total counter
                polytope_requests_submitted_total{collection="open",datasource="echo"} 3
                polytope_requests_submitted_total{collection="(hidden)",datasource="(hidden)"} 7
                # TYPE polytope_queue_wait_seconds histogram
                polytope_queue_wait_seconds_bucket{collection="(hidden)",le="0.1"} 3
                polytope_queue_wait_seconds_bucket{collection="(hidden)",le="+Inf"} 5
                polytope_queue_wait_seconds_sum{collection="(hidden)"} 0.75
                polytope_queue_wait_seconds_count{collection="(hidden)"} 1
                polytope_served_bytes_total 21
                polytope_odd{note="a \\"quoted\\", {braced} value",collection="(hidden)"} 1.5
                """)
    }

    @Test("a caller who sees everything gets the text unchanged")
    func showsAll() {
        #expect(MetricsTextFilter.filter(Self.text) { _ in true } == Self.text)
    }

    @Test("nothing named survives for a caller who sees nothing")
    func hidesAll() {
        let filtered = MetricsTextFilter.filter(Self.text) { _ in false }
        for name in ["open", "secret", "echo", "mars", "fdb"] {
            #expect(!filtered.contains("\"\(name)\""), "\(name)")
        }
        #expect(filtered.contains(#"polytope_requests_submitted_total{collection="(hidden)",datasource="(hidden)"} 10"#))
    }
}
