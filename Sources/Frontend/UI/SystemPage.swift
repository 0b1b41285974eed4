import Foundation
import PolytopeCore

extension WebPages {
    /// The operators' view: queue, workers, staging, request rate and recent failures.
    func system(_ snapshot: SystemSnapshot) -> String {
        """
        <h1>The system</h1>
        <noscript><p class="help">Reload the page to see changes.</p></noscript>
        \(systemSection(snapshot))
        """
    }

    /// The part of the view that the script refreshes in place.
    func systemSection(_ snapshot: SystemSnapshot) -> String {
        """
        <section id="system" data-refresh="\(HTML.escape(paths.ui("system")))" data-every="5000">
        <h2>Queue per collection</h2>
        \(Self.queueTable(snapshot))
        <h2>Workers</h2>
        \(Self.workersTable(snapshot))
        <h2>Requests per minute</h2>
        \(Self.rateChart(snapshot.submissionsPerMinute))
        <h2>Staging</h2>
        <p id="staging">\(Self.stagingLine(snapshot))</p>
        <h2>Recent failures</h2>
        \(Self.failuresTable(snapshot))
        </section>
        """
    }

    private static func queueTable(_ snapshot: SystemSnapshot) -> String {
        let rows = snapshot.collections.map { row -> String in
            let count = { (status: String) in row.counts[status, default: 0] }
            var limits: [String] = []
            if let total = row.limits.total { limits.append("collection \(total)") }
            if let perUser = row.limits.perUser { limits.append("per user \(perUser)") }
            for (role, allowance) in row.limits.perRole.sorted(by: { $0.key < $1.key }) { limits.append("role \(role) \(allowance)") }
            if let waiting = row.limits.maximumWaitingPerUser { limits.append("waiting per user \(waiting)") }
            let users = row.busiestUsers.map { "\(HTML.escape($0.username)) \($0.active)" }.joined(separator: ", ")
            let usage: String
            if let total = row.limits.total {
                usage = " <meter min=\"0\" max=\"\(total)\" value=\"\(row.active)\" aria-label=\"\(row.active) of \(total) active\"></meter>"
            } else {
                usage = ""
            }
            return """
                <tr id="collection-\(HTML.escape(row.name))"><th scope="row">\(HTML.escape(row.name))</th>\
                <td>\(count("uploading"))</td><td class="waiting">\(count("waiting"))</td><td>\(count("queued"))</td>\
                <td>\(count("processing"))</td><td>\(count("processed"))</td><td>\(count("failed"))</td>\
                <td>\(row.active)\(usage)</td><td>\(limits.isEmpty ? "none" : limits.joined(separator: ", "))</td>\
                <td>\(users.isEmpty ? "—" : users)</td></tr>
                """
        }.joined(separator: "\n")
        let oldest = snapshot.oldestWaitingSeconds.map { " The oldest waiting request arrived \(HTML.age($0)) ago." } ?? ""
        let global = snapshot.maximumActive.map { " The broker keeps at most \($0) requests active (max-active)." } ?? ""
        return """
            <table id="queue"><caption>Requests by status, active requests and the limits that bound them</caption>
            <thead><tr><th scope="col">Collection</th><th scope="col">Uploading</th><th scope="col">Waiting</th><th scope="col">Queued</th>\
            <th scope="col">Processing</th><th scope="col">Processed</th><th scope="col">Failed</th><th scope="col">Active</th>\
            <th scope="col">Limits</th><th scope="col">Busiest users (active)</th></tr></thead>
            <tbody>
            \(rows)
            </tbody></table>
            <p class="help">\(oldest)\(global)</p>
            """
    }

    private static func workersTable(_ snapshot: SystemSnapshot) -> String {
        guard !snapshot.pools.isEmpty else { return "<p id=\"workers\">No worker pool has reported in the last 30 s.</p>" }
        let slots = snapshot.pools.reduce(0) { $0 + $1.slots }
        let busy = snapshot.pools.reduce(0) { $0 + $1.busy }
        let rows = snapshot.pools.map { pool in
            """
            <tr><th scope="row"><code>\(HTML.escape(pool.id))</code></th><td>\(pool.busy) of \(pool.slots) \
            <meter min="0" max="\(max(pool.slots, 1))" value="\(pool.busy)" aria-label="\(pool.busy) of \(pool.slots) slots busy"></meter></td>\
            <td>\(HTML.age(snapshot.now.timeIntervalSince(pool.startedAt)))</td><td>\(HTML.age(snapshot.now.timeIntervalSince(pool.seenAt))) ago</td></tr>
            """
        }.joined(separator: "\n")
        return """
            <table id="workers"><caption>\(snapshot.pools.count == 1 ? "1 worker pool" : "\(snapshot.pools.count) worker pools"): \(busy) of \(slots) slots busy</caption>
            <thead><tr><th scope="col">Pool</th><th scope="col">Busy slots</th><th scope="col">Up for</th><th scope="col">Last report</th></tr></thead>
            <tbody>
            \(rows)
            </tbody></table>
            """
    }

    /// A bar chart of `counts` (one bar per minute, oldest first) as inline SVG, described
    /// in words for screen readers.
    static func rateChart(_ counts: [Int]) -> String {
        let width = 600
        let height = 120
        let peak = max(counts.max() ?? 0, 1)
        let barWidth = Double(width) / Double(max(counts.count, 1))
        var bars = ""
        for (index, count) in counts.enumerated() where count > 0 {
            let barHeight = Double(height - 20) * Double(count) / Double(peak)
            let x = Double(index) * barWidth
            let y = Double(height - 16) - barHeight
            let minutesAgo = counts.count - 1 - index
            bars += String(
                format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" class=\"bar\">", x + 1, y, max(barWidth - 2, 1), barHeight)
            bars += "<title>\(count) requests, \(minutesAgo) min ago</title></rect>"
        }
        let total = counts.reduce(0, +)
        let lastFive = counts.suffix(5).reduce(0, +)
        let summary = "\(total) requests submitted in the last hour, \(lastFive) in the last 5 minutes; at most \(peak) in one minute."
        return """
            <figure id="rate"><svg viewBox="0 0 \(width) \(height)" role="img" aria-labelledby="rate-caption" class="chart">\
            \(bars)<line x1="0" y1="\(height - 16)" x2="\(width)" y2="\(height - 16)" class="axis"></line>\
            <text x="0" y="\(height - 2)" class="label">60 min ago</text><text x="\(width)" y="\(height - 2)" class="label end">now</text></svg>\
            <figcaption id="rate-caption">\(summary)</figcaption></figure>
            """
    }

    private static func stagingLine(_ snapshot: SystemSnapshot) -> String {
        guard let objects = snapshot.stagingObjects, let bytes = snapshot.stagingBytes else { return "Staging cannot be listed right now." }
        return "\(objects) staged objects, \(HTML.size(bytes)) in all."
    }

    private static func failuresTable(_ snapshot: SystemSnapshot) -> String {
        guard !snapshot.failures.isEmpty else { return "<p id=\"failures\">No failed requests.</p>" }
        let rows = snapshot.failures.map { failure in
            """
            <tr><td><code>\(HTML.escape(failure.id))</code></td><td>\(HTML.escape(failure.username))</td>\
            <td>\(HTML.escape(failure.collection))</td><td>\(HTML.age(failure.ageSeconds)) ago</td><td>\(HTML.escape(failure.message))</td></tr>
            """
        }.joined(separator: "\n")
        return """
            <table id="failures"><caption>The newest failed requests</caption>
            <thead><tr><th scope="col">Request</th><th scope="col">User</th><th scope="col">Collection</th><th scope="col">Failed</th>\
            <th scope="col">Reason</th></tr></thead>
            <tbody>
            \(rows)
            </tbody></table>
            """
    }
}
