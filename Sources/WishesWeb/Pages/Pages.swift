import Foundation
import Wishes
import WishesAWS

/// The three pages: the button, the list, one wish.
enum Pages {
    static func home(csrf: String, problems: [WishValidationError.Problem] = [], form: [String: String] = [:]) -> String {
        func value(_ name: String) -> String { HTML.escape(form[name] ?? "") }
        let problemList =
            problems.isEmpty
            ? "" : "<ul class=\"problems\">" + problems.map { "<li><b>\(HTML.escape($0.field))</b>: \(HTML.escape($0.rule))</li>" }.joined() + "</ul>"
        let queues = WishQueue.allCases.map { "<option\(form["queue"] == $0.rawValue ? " selected" : "")>\($0.rawValue)</option>" }.joined()
        return HTML.page(
            title: "Make a wish",
            """
            <h1>Make a wish</h1>\(problemList)
            <form method="post" action="/wishes">
            <input type="hidden" name="csrf" value="\(HTML.escape(csrf))">
            <label for="wish">Your wish</label><input id="wish" name="wish" maxlength="1000" value="\(value("wish"))" placeholder="a pony">
            <details><summary>Advanced: run it as a job</summary><div class="grid">
            <div><label for="command">Command (split into words as sh splits them: quotes and backslashes, no $ or * expansion)</label><input id="command" name="command" value="\(value("command"))" placeholder="sh -c 'echo hello'"></div>
            <div><label for="queue">Queue</label><select id="queue" name="queue">\(queues)</select></div>
            <div><label for="vcpus">vCPU</label><input id="vcpus" name="vcpus" value="\(value("vcpus"))" placeholder="0.25"></div>
            <div><label for="memory">Memory (MiB)</label><input id="memory" name="memory" value="\(value("memory"))" placeholder="512"></div>
            <div><label for="attempts">Attempts</label><input id="attempts" name="attempts" value="\(value("attempts"))" placeholder="1"></div>
            <div><label for="timeoutSeconds">Timeout (s)</label><input id="timeoutSeconds" name="timeoutSeconds" value="\(value("timeoutSeconds"))" placeholder="the default"></div>
            <div><label for="arraySize">Array size</label><input id="arraySize" name="arraySize" value="\(value("arraySize"))" placeholder="none"></div>
            <div><label for="dependsOn">Depends on (wish ids)</label><input id="dependsOn" name="dependsOn" value="\(value("dependsOn"))"></div>
            <div><label for="notBefore">Not before (RFC 3339)</label><input id="notBefore" name="notBefore" value="\(value("notBefore"))" placeholder="2026-12-24T18:00:00Z"></div>
            <div><label for="callbackUrl">Callback URL</label><input id="callbackUrl" name="callbackUrl" value="\(value("callbackUrl"))"></div>
            </div><label for="environment">Environment (NAME=value per line; values are never shown again)</label>
            <textarea id="environment" name="environment" rows="3"></textarea></details>
            <p><button class="wish" type="submit">Hold your breath, make a wish, count to three</button></p>
            </form>
            """)
    }

    /// The token form; it posts to `/login`, so the token stays out of the address bar and history.
    static func login(problem: String? = nil) -> String {
        HTML.page(
            title: "Sign in",
            """
            <h1>Sign in</h1>\(problem.map { "<ul class=\"problems\"><li>\(HTML.escape($0))</li></ul>" } ?? "")
            <form method="post" action="/login">
            <label for="token">Token (WISHES_API_TOKEN)</label><input id="token" name="token" type="password" autocomplete="current-password">
            <p><button type="submit">Sign in</button></p>
            </form>
            """)
    }

    static func signedIn() -> String {
        HTML.page(title: "Signed in", refresh: 0, then: "/", "<h1>Signed in</h1><p><a href=\"/\">Make a wish</a></p>")
    }

    static func list(_ wishes: [WishSummary], next: WishID?, state: WishState?) -> String {
        let filters = (["all"] + WishState.allCases.map(\.rawValue)).map { name in
            let selected = (state?.rawValue ?? "all") == name
            return selected ? "<b>\(name)</b>" : "<a href=\"/wishes\(name == "all" ? "" : "?status=\(name)")\">\(name)</a>"
        }.joined(separator: " · ")
        let rows = wishes.map { summary in
            // Its name, else its command (what a job is known by), else its text: never empty, so every row has a link.
            let title = summary.spec.name ?? (summary.spec.command.map(ShellWords.join) ?? summary.spec.title)
            return
                "<tr><td><a href=\"/wishes/\(summary.status.id)\">\(HTML.escape(String(title.prefix(80))))</a></td><td>\(HTML.badge(summary.status.state))</td><td>\(summary.spec.queue.rawValue)</td><td>\(HTML.age(summary.status.createdAt))</td></tr>"
        }.joined()
        let more = next.map { "<p><a href=\"/wishes?after=\($0)\(state.map { "&status=\($0.rawValue)" } ?? "")\">Older wishes →</a></p>" } ?? ""
        return HTML.page(
            title: "Wishes",
            """
            <h1>Wishes</h1><p>\(filters)</p>
            <table><thead><tr><th>Wish</th><th>Status</th><th>Queue</th><th>Age</th></tr></thead><tbody>\(rows.isEmpty ? "<tr><td colspan=4>No wishes yet.</td></tr>" : rows)</tbody></table>\(more)
            """)
    }

    /// The bytes of output the detail page shows: the end, where a failure says why.
    static let outputShown = 8192

    static func detail(_ detail: WishDetail, output: (tail: [UInt8], size: Int)?, csrf: String) -> String {
        let status = detail.status
        let spec = detail.spec
        let attempts = status.attempts.map { attempt in
            let result = detail.results[attempt.number]
            return
                "<tr><td>\(attempt.number)</td><td>\(HTML.badge(attempt.state))</td><td>\(HTML.escape(attempt.reason ?? ""))</td><td>\(attempt.exitCode.map(String.init) ?? "")</td><td>\(result.map { String(format: "%.1f s", $0.durationSeconds) } ?? "")</td></tr>"
        }.joined()
        let children =
            detail.children.isEmpty
            ? ""
            : "<h2>Array children</h2><p>"
                + WishState.allCases.compactMap { state in
                    detail.children[state].map { "\(HTML.badge(state)) \($0)" }
                }.joined(separator: " ") + "</p>"
        let message = detail.results.values.compactMap(\.message).first.map { "<p class=\"result\"><b>\(HTML.escape($0))</b></p>" } ?? ""
        let tail =
            output.map { output in
                let text = String(decoding: output.tail.suffix(outputShown), as: UTF8.self)
                let cut = output.size > output.tail.count ? " (the last \(output.tail.count / 1024) KiB of \(output.size) bytes)" : ""
                return "<h2>Output\(status.isFinal ? "" : " (live)")\(cut)</h2><pre>\(HTML.escape(text))</pre>"
            } ?? ""
        let environment =
            spec.environment.map { "<p>Environment: " + $0.map { "<code>\(HTML.escape($0.name))</code>" }.joined(separator: " ") + " (values hidden)</p>" }
            ?? ""
        let cancel =
            status.isFinal
            ? ""
            : "<form method=\"post\" action=\"/wishes/\(status.id)/cancel\"><input type=\"hidden\" name=\"csrf\" value=\"\(HTML.escape(csrf))\"><button type=\"submit\">Cancel</button></form>"
        let callback =
            status.callback.map { callback in
                "<p>Callback: \(callback.state.rawValue.lowercased()) after \(callback.tries) \(callback.tries == 1 ? "try" : "tries")"
                    + (callback.httpStatus.map { " (HTTP \($0))" } ?? "") + (callback.reason.map { ": " + HTML.escape($0) } ?? "") + "</p>"
            } ?? ""
        let timeline = [("created", status.createdAt), ("updated", status.updatedAt)].compactMap { name, date in date.map { "\(name) \(RFC3339.format($0))" } }
            .joined(separator: " · ")
        return HTML.page(
            title: spec.title, refresh: status.isFinal ? nil : 2,
            """
            <h1>\(HTML.escape(spec.title))</h1>
            <p>\(HTML.badge(status.state)) \(HTML.escape(status.statusReason ?? ""))</p>\(message)
            <p><small>\(status.id) · queue \(spec.queue.rawValue) · \(timeline)</small></p>
            \(spec.command.map { "<p>Command: <code>\(HTML.escape(ShellWords.join($0)))</code></p>" } ?? "")\(environment)\(callback)\(spec.jobRoleArn.map { "<p>Job role: <code>\(HTML.escape($0))</code></p>" } ?? "")
            <h2>Attempts</h2><table><thead><tr><th>#</th><th>Status</th><th>Reason</th><th>Exit</th><th>Duration</th></tr></thead><tbody>\(attempts.isEmpty ? "<tr><td colspan=5>None yet.</td></tr>" : attempts)</tbody></table>
            \(children)\(tail)\(cancel)
            """)
    }
}
