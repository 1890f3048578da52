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
            <div><label for="jobDefinition">Job definition (name or name:revision; <a href="/job-definitions">list</a>)</label><input id="jobDefinition" name="jobDefinition" value="\(value("jobDefinition"))" placeholder="count-to-three"></div>
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
            <textarea id="environment" name="environment" rows="3"></textarea>
            <label for="parameters">Parameters for the definition's Ref:: placeholders (NAME=value per line)</label>
            <textarea id="parameters" name="parameters" rows="2">\(value("parameters"))</textarea></details>
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

    /// One wish, or with `child` one of its array children (no cancel: a cancel is the parent's).
    static func detail(_ detail: WishDetail, output: (tail: [UInt8], size: Int)?, csrf: String, logs: TaskLogs? = nil, child: Int? = nil) -> String {
        let status = detail.status
        let spec = detail.spec
        func logLink(_ attempt: AttemptStatus) -> String {
            guard let logs, let arn = attempt.taskArn, let stream = logs.stream(taskArn: arn), let url = logs.consoleURL(taskArn: arn) else { return "" }
            return "<a href=\"\(HTML.escape(url))\" title=\"\(HTML.escape(logs.group))\"><code>\(HTML.escape(stream))</code></a>"
        }
        let attempts = status.attempts.map { attempt in
            let result = detail.results[attempt.number]
            return
                "<tr><td>\(attempt.number)</td><td>\(HTML.badge(attempt.state))</td><td>\(HTML.escape(attempt.reason ?? ""))</td><td>\(attempt.exitCode.map(String.init) ?? "")</td><td>\(result.map { String(format: "%.1f s", $0.durationSeconds) } ?? "")</td><td>\(logLink(attempt))</td></tr>"
        }.joined()
        let childLinks = (0..<min(spec.arraySize ?? 0, childrenLinked)).map { "<a href=\"/wishes/\(status.id)/children/\($0)\">\($0)</a>" }.joined(
            separator: " ")
        let children =
            detail.children.isEmpty
            ? ""
            : "<h2>Array children</h2><p>"
                + WishState.allCases.compactMap { state in
                    detail.children[state].map { "\(HTML.badge(state)) \($0)" }
                }.joined(separator: " ")
                + "</p><p class=\"children\">Child: \(childLinks)\((spec.arraySize ?? 0) > childrenLinked ? " … (any index at /wishes/\(status.id)/children/N)" : "")</p>"
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
        let dependencies =
            spec.dependsOn.flatMap { $0.isEmpty ? nil : $0 }.map { "<p>Depends on: " + $0.map(dependencyLine).joined(separator: " · ") + "</p>" } ?? ""
        let cancel =
            status.isFinal || child != nil
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
            <h1>\(HTML.escape(spec.title))\(child.map { " · child \($0)" } ?? "")</h1>\(child.map { "<p><a href=\"/wishes/\(status.id)\">← the whole array</a> · <a href=\"/api/wishes/\(status.id)/children/\($0)/output\">output</a></p>" } ?? "")
            <p>\(HTML.badge(status.state)) \(HTML.escape(status.statusReason ?? ""))</p>\(message)
            <p><small>\(status.id) · queue \(spec.queue.rawValue) · \(timeline)</small></p>
            <p>Job definition: \(definitionLine(spec))</p>
            \(spec.command.map { "<p>Command: <code>\(HTML.escape(ShellWords.join($0)))</code></p>" } ?? "")\(environment)\(dependencies)\(callback)\(spec.jobRoleArn.map { "<p>Job role: <code>\(HTML.escape($0))</code></p>" } ?? "")
            <h2>Attempts</h2><table><thead><tr><th>#</th><th>Status</th><th>Reason</th><th>Exit</th><th>Duration</th><th>CloudWatch log stream</th></tr></thead><tbody>\(attempts.isEmpty ? "<tr><td colspan=6>None yet.</td></tr>" : attempts)</tbody></table>
            \(children)\(tail)\(cancel)
            """)
    }

    /// A dependency with its AWS Batch type, said plainly: what waits for what.
    static func dependencyLine(_ dependency: WishDependency) -> String {
        let link = dependency.id.map { "<a href=\"/wishes/\($0)\">\($0)</a>" } ?? ""
        switch dependency.type {
        case nil: return link
        case .nToN?: return "\(link) <small>N_TO_N: each child after the child of \(link) with its index</small>"
        case .sequential?: return "<small>SEQUENTIAL: each child after the one before it</small>"
        }
    }

    /// Links per array child the detail page shows; any other index is reached by its address.
    static let childrenLinked = 100

    static func definitionLine(_ spec: WishSpec) -> String {
        let reference = spec.jobDefinition ?? JobDefinition.builtIn.reference
        let image = spec.image.map { " · image <code>\(HTML.escape($0))</code>" } ?? " · Wishes' own image"
        return
            "<a href=\"/job-definitions#\(HTML.escape(reference.replacingOccurrences(of: ":", with: "-")))\"><code>\(HTML.escape(reference))</code></a>\(image)"
    }

    static func jobDefinitions(_ definitions: [JobDefinition], csrf: String, problems: [WishValidationError.Problem] = [], form: [String: String] = [:])
        -> String
    {
        func value(_ name: String) -> String { HTML.escape(form[name] ?? "") }
        let problemList =
            problems.isEmpty
            ? "" : "<ul class=\"problems\">" + problems.map { "<li><b>\(HTML.escape($0.field))</b>: \(HTML.escape($0.rule))</li>" }.joined() + "</ul>"
        let rows = definitions.map { definition in
            let size = [definition.vcpus.map { "\($0.decimalText) vCPU" }, definition.memory.map { "\($0) MiB" }].compactMap { $0 }.joined(separator: ", ")
            let parameters = (definition.parameters ?? [:]).sorted { $0.key < $1.key }.map { "<code>\(HTML.escape($0.key))=\(HTML.escape($0.value))</code>" }
                .joined(separator: " ")
            return
                "<tr id=\"\(HTML.escape(definition.name))-\(definition.revision)\"><td><code>\(HTML.escape(definition.reference))</code></td><td>\(definition.status.rawValue)</td><td>\(definition.image.map { "<code>\(HTML.escape($0))</code>" } ?? "Wishes' own")</td><td>\(definition.command.map { "<code>\(HTML.escape(ShellWords.join($0)))</code>" } ?? "counts to three")</td><td>\(parameters)</td><td>\(size)</td></tr>"
        }.joined()
        return HTML.page(
            title: "Job definitions",
            """
            <h1>Job definitions</h1>
            <p>A wish names one (<code>jobDefinition</code>, as <code>name</code> or <code>name:revision</code>) and takes every field it does not set from it; <code>Ref::name</code> in the command becomes the wish's parameter or the definition's default. In AWS the command runs in the definition's image. In the local cloud images cannot be pulled: the command runs on this machine, with the same supervisor and environment.</p>
            <table><thead><tr><th>Definition</th><th>Status</th><th>Image</th><th>Command</th><th>Parameters</th><th>Size</th></tr></thead><tbody>\(rows)</tbody></table>
            <h2>Register a definition</h2>\(problemList)
            <p>Registering a name again makes its next revision.</p>
            <form method="post" action="/job-definitions">
            <input type="hidden" name="csrf" value="\(HTML.escape(csrf))">
            <div class="grid">
            <div><label for="name">Name</label><input id="name" name="name" value="\(value("name"))" placeholder="ffmpeg"></div>
            <div><label for="image">Image</label><input id="image" name="image" value="\(value("image"))" placeholder="public.ecr.aws/docker/library/busybox:1.36"></div>
            <div><label for="command">Command (split as sh splits it)</label><input id="command" name="command" value="\(value("command"))" placeholder="echo Ref::greeting"></div>
            <div><label for="vcpus">vCPU</label><input id="vcpus" name="vcpus" value="\(value("vcpus"))" placeholder="0.25"></div>
            <div><label for="memory">Memory (MiB)</label><input id="memory" name="memory" value="\(value("memory"))" placeholder="512"></div>
            <div><label for="attempts">Attempts</label><input id="attempts" name="attempts" value="\(value("attempts"))" placeholder="1"></div>
            <div><label for="timeoutSeconds">Timeout (s)</label><input id="timeoutSeconds" name="timeoutSeconds" value="\(value("timeoutSeconds"))"></div>
            <div><label for="jobRoleArn">Job role ARN</label><input id="jobRoleArn" name="jobRoleArn" value="\(value("jobRoleArn"))"></div>
            </div>
            <label for="parameters">Parameter defaults (NAME=value per line)</label><textarea id="parameters" name="parameters" rows="2">\(value("parameters"))</textarea>
            <label for="environment">Environment (NAME=value per line; shown with the definition)</label><textarea id="environment" name="environment" rows="2">\(value("environment"))</textarea>
            <p><button type="submit">Register</button></p>
            </form>
            """)
    }
}
