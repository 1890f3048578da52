import Foundation
import Testing

@testable import WishesAWS

/// A person's click in a real browser, through the local cloud: the screenshot is kept in
/// `.build/artifacts/` for whoever reads the test run.
struct BrowserTests {
    static let artifacts = Python.repository.appendingPathComponent(".build/artifacts")

    @Test func headlessChromiumClicksTheButtonAndSeesSucceeded() async throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/chromedriver") else {
            throw TestError("/usr/bin/chromedriver is missing: install Debian's chromium and chromium-driver (scripts/test does)")
        }
        let state = try await LocalCloudProcess.shared.state()
        try FileManager.default.createDirectory(at: Self.artifacts, withIntermediateDirectories: true)
        let screenshot = Self.artifacts.appendingPathComponent("browser-wish-succeeded.png")
        try? FileManager.default.removeItem(at: screenshot)
        // The browser signs in as a developer does: with the link the local cloud printed.
        struct Job: Encodable {
            var url: String
            var login: String
            var wish: String
            var command: String?
            var screenshot: String
        }
        struct Seen: Decodable {
            var state: String?
            var page: String
            var text: String
        }
        let job = Job(
            url: state.web, login: "\(state.web)/login?token=\(state.apiToken)", wish: "a pony <b>please</b>", command: nil, screenshot: screenshot.path)
        let seen = try await Python.run("browser_click.py", input: job, as: Seen.self)
        #expect(seen.state == "SUCCEEDED", "the browser saw: \(seen.text.prefix(500))")
        #expect(seen.page.contains("/wishes/"))
        #expect(seen.text.contains("a pony <b>please</b>"), "the wish is shown as text, not markup")
        let png = try Data(contentsOf: screenshot)
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]), "a PNG")
    }

    /// The command field's own placeholder, typed as a person types it, runs as three words: the
    /// quoted part is one argument to `sh -c`, so the output is the greeting and nothing else.
    @Test func theCommandPlaceholderTypedInTheBrowserRunsAsAShellReadsIt() async throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/chromedriver") else {
            throw TestError("/usr/bin/chromedriver is missing: install Debian's chromium and chromium-driver (scripts/test does)")
        }
        let state = try await LocalCloudProcess.shared.state()
        try FileManager.default.createDirectory(at: Self.artifacts, withIntermediateDirectories: true)
        let screenshot = Self.artifacts.appendingPathComponent("browser-command-succeeded.png")
        struct Job: Encodable {
            var url: String
            var login: String
            var wish: String
            var command: String?
            var screenshot: String
        }
        struct Seen: Decodable {
            var state: String?
            var page: String
            var text: String
        }
        let job = Job(
            url: state.web, login: "\(state.web)/login?token=\(state.apiToken)", wish: "", command: "sh -c 'echo hello from a quoted word'",
            screenshot: screenshot.path)
        let seen = try await Python.run("browser_click.py", input: job, as: Seen.self)
        #expect(seen.state == "SUCCEEDED", "the browser saw: \(seen.text.prefix(800))")
        #expect(seen.text.contains("Command: sh -c 'echo hello from a quoted word'"), "\(seen.text.prefix(800))")
        #expect(seen.text.split(separator: "\n").contains("hello from a quoted word"), "the output, on a line of its own")
    }
}
