import Foundation
import Testing

@testable import Wishes
@testable import WishesAWS

/// The local cloud does nothing AWS would not: it checks signatures, hands out only temporary
/// keys, freezes idle function environments and delivers only what the template's rules match.
@Suite(.serialized)
struct StrictLocalCloudTests {
    func cloud() async throws -> LocalCloudProcess.State { try await LocalCloudProcess.shared.state() }

    func final(_ id: String, within seconds: Int = 180) async throws -> [String: Any] {
        try await cloud().final(id, within: seconds)
    }

    func submit(_ body: String) async throws -> String {
        let state = try await cloud()
        let posted = try await state.call("POST", "/api/wishes", body: body, headers: ["Content-Type": "application/json"])
        #expect(posted.status == 202, "\(posted.body)")
        return try #require((try JSONSerialization.jsonObject(with: Data(posted.body.utf8)) as? [String: Any])?["id"] as? String)
    }

    func stats() async throws -> [String: Int] {
        let state = try await cloud()
        return try JSONDecoder().decode([String: Int].self, from: Data(try await HTTP.call("GET", "\(state.ecs)/_local/stats").body.utf8))
    }

    /// A task's keys come from the container credentials endpoint, never from a static key, and a
    /// wish's command sees none of the control plane: no credentials source, no metadata endpoint,
    /// no dispatcher setting, and not its task's environment through /proc (the task is non-dumpable
    /// and, as on Fargate, has no CAP_SYS_PTRACE).
    @Test func aCommandSeesNoneOfTheControlPlane() async throws {
        let script = #"""
            env | cut -d= -f1 | grep -E '^(AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN|AWS_CONTAINER_|ECS_|WISHES_|AWS_ENDPOINT_URL)' && echo LEAKED-NAME
            cat /proc/$PPID/environ 2>/dev/null | tr '\0' '\n' | grep -q AWS_CONTAINER && echo LEAKED-PARENT
            echo checked
            """#
        let body = try JSONSerialization.data(withJSONObject: ["command": ["sh", "-c", script]])
        let id = try await submit(String(decoding: body, as: UTF8.self))
        let result = try await final(id)
        #expect(result["state"] as? String == "SUCCEEDED", "the task wrote its output and result with container credentials")
        let state = try await cloud()
        let output = try await state.call("GET", "/api/wishes/\(id)/output").body
        #expect(output.contains("checked"))
        #expect(!output.contains("LEAKED-NAME"), "\(output)")
        #expect(!output.contains("LEAKED-PARENT"), "\(output)")
    }

    /// The container endpoint answers only its task's token.
    @Test func theContainerEndpointRefusesAWrongToken() async throws {
        let state = try await cloud()
        let unknown = try await HTTP.call("GET", "\(state.ecs)/v2/credentials/0123456789abcdef", headers: ["Authorization": "guess"])
        #expect(unknown.status == 404)
    }

    /// ECS's endpoint checks signatures as ECS does: a wrong secret, no signature, a stranger's key.
    @Test func theECSEndpointRefusesBadSignatures() async throws {
        let state = try await cloud()
        guard let endpoint = Endpoint(url: state.ecs) else { throw TestError("bad endpoint \(state.ecs)") }
        func ecs(_ keys: Credentials) -> ECSClient {
            ECSClient(
                client: AWSClient(
                    configuration: AWSConfiguration(region: "us-east-1", endpoints: [.ecs: endpoint]),
                    httpClient: TestAWS.httpClient, credentialProvider: StaticCredentialProvider(keys),
                    retry: RetryPolicy(maxAttempts: 1)))
        }
        let good = Credentials(
            accessKeyId: state.credentials.accessKeyId, secretAccessKey: state.credentials.secretAccessKey,
            sessionToken: state.credentials.sessionToken)
        _ = try await ecs(good).listTasks(.init(cluster: DeployedNames.cluster))
        var wrongSecret = good
        wrongSecret.secretAccessKey += "x"
        var wrongToken = good
        wrongToken.sessionToken = "forged"
        let stranger = Credentials(accessKeyId: "ASIASTRANGER", secretAccessKey: "s", sessionToken: "t")
        for (keys, code) in [
            (wrongSecret, "InvalidSignatureException"), (wrongToken, "UnrecognizedClientException"), (stranger, "UnrecognizedClientException"),
        ] {
            await #expect { _ = try await ecs(keys).listTasks(.init(cluster: DeployedNames.cluster)) } throws: {
                ($0 as? AWSClientError)?.serviceError?.code == code
            }
        }
        let unsigned = try await HTTP.call(
            "POST", "\(state.ecs)/", body: "{}",
            headers: [
                "X-Amz-Target": "AmazonEC2ContainerServiceV20141113.ListTasks", "Content-Type": "application/x-amz-json-1.1",
            ])
        #expect(unsigned.status == 403)
        #expect(unsigned.body.contains("MissingAuthenticationTokenException"))
    }

    /// RunTask starts only a registered, ACTIVE task definition and overrides only its containers, and
    /// RegisterTaskDefinition has a throttle of its own, as in ECS: a dispatcher that ran any name or
    /// registered per wish would pass here and fail in AWS.
    @Test func theLocalFargateRunsOnlyRegisteredDefinitionsAndThrottlesRegistration() async throws {
        let state = try await cloud()
        guard let endpoint = Endpoint(url: state.ecs) else { throw TestError("bad endpoint \(state.ecs)") }
        let ecs = ECSClient(
            client: AWSClient(
                configuration: AWSConfiguration(region: "us-east-1", endpoints: [.ecs: endpoint]),
                httpClient: TestAWS.httpClient,
                credentialProvider: StaticCredentialProvider(
                    Credentials(
                        accessKeyId: state.credentials.accessKeyId, secretAccessKey: state.credentials.secretAccessKey,
                        sessionToken: state.credentials.sessionToken)),
                retry: RetryPolicy(maxAttempts: 1)))
        func code(_ error: any Error) -> String? { (error as? AWSClientError)?.serviceError?.code }
        await #expect {
            _ = try await ecs.runTask(.init(cluster: DeployedNames.cluster, taskDefinition: "\(DeployedNames.taskFamily):99"))
        } throws: { code($0) == "ClientException" && "\($0)".contains("TaskDefinition not found") }
        await #expect {
            _ = try await ecs.runTask(
                .init(
                    cluster: DeployedNames.cluster, taskDefinition: "\(DeployedNames.taskFamily):1",
                    overrides: .init(containerOverrides: [.init(name: "someone-else", command: ["true"])])))
        } throws: { code($0) == "InvalidParameterException" && "\($0)".contains("someone-else") }

        var definition = try await ecs.describeTaskDefinition("\(DeployedNames.taskFamily):1")
        definition.family = "strict-\(UUID().uuidString.prefix(8).lowercased())"
        var registered: [Int] = []
        var throttled = 0
        for _ in 0..<8 {
            do {
                registered.append(try #require(try await ecs.registerTaskDefinition(definition.registration()).revision))
            } catch let error where code(error) == "ThrottlingException" {
                throttled += 1
            }
        }
        #expect(throttled > 0, "8 registrations at once, none throttled")
        #expect(registered == Array(1..<(registered.count + 1)), "revisions count up from 1 without gaps: \(registered)")
    }

    /// Lambda freezes an environment while it waits for an event: so does the local cloud, with
    /// the cgroup freezer where the machine has one (SIGSTOP otherwise), and thaws it for the next.
    /// A cloud of its own: the shared one is kept busy by every other suite, and idleness is the point.
    @Test func idleFunctionEnvironmentsAreFrozen() async throws {
        try await LocalCloudProcess.withPrivateCloud { state in
            let parent = try #require(state.pid)
            func frozenStates() async throws -> [String] {
                let deadline = ContinuousClock.now + .seconds(30)
                var states: [String] = []
                while ContinuousClock.now < deadline {
                    states = Self.children(named: "MakeAWish", parent: parent).map(Self.freezeState)
                    if states.contains("FROZEN") || states.contains("STOPPED") { break }
                    try await Task.sleep(for: .milliseconds(100))
                }
                return states
            }
            let idle = try await frozenStates()
            #expect(!idle.isEmpty, "MakeAWish runs under the local cloud")
            #expect(idle.contains("FROZEN") || idle.contains("STOPPED"), "an idle environment is frozen: \(idle)")
            // A frozen environment is thawed for an event, runs it, and is frozen again after.
            let id = try await state.submit(#"{"command":["true"]}"#)
            #expect(try await state.final(id)["state"] as? String == "SUCCEEDED")
            let after = try await frozenStates()
            #expect(after.contains("FROZEN") || after.contains("STOPPED"), "frozen again once idle: \(after)")
        }
    }

    /// EventBridge may deliver an event twice and out of order: with every event duplicated and
    /// most held back, a wish still runs one attempt and ends SUCCEEDED.
    @Test func duplicatedAndReorderedEventsStillEndAWishOnce() async throws {
        try await LocalCloudProcess.withPrivateCloud(arguments: ["--duplicate-events", "1", "--reorder-events", "0.8"]) { state in
            let posted = try await state.call(
                "POST", "/api/wishes", body: #"{"command":["sh","-c","echo once"]}"#,
                headers: ["Content-Type": "application/json"])
            let id = try #require((try JSONSerialization.jsonObject(with: Data(posted.body.utf8)) as? [String: Any])?["id"] as? String)
            var wish: [String: Any] = [:]
            let deadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < deadline {
                wish = (try JSONSerialization.jsonObject(with: Data(try await state.call("GET", "/api/wishes/\(id)").body.utf8)) as? [String: Any]) ?? [:]
                if ["SUCCEEDED", "FAILED"].contains(wish["state"] as? String ?? "") { break }
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect(wish["state"] as? String == "SUCCEEDED", "\(wish)")
            #expect((wish["attempts"] as? [Any])?.count == 1)
            let stats = try JSONDecoder().decode([String: Int].self, from: Data(try await HTTP.call("GET", "\(state.ecs)/_local/stats").body.utf8))
            #expect((stats["eventsDuplicated"] ?? 0) >= 2, "\(stats)")
            #expect(stats["tasksLaunched"] == 1)
        }
    }

    /// FROZEN when the process's freezer cgroup (v1 or v2) is frozen, STOPPED for SIGSTOP, else its state letter.
    static func freezeState(_ pid: Int32) -> String {
        let groups = (try? String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8)) ?? ""
        for line in groups.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 2).map(String.init)
            guard parts.count == 3, parts[2].contains("wishes-") else { continue }
            if parts[1] == "freezer",
                (try? String(contentsOfFile: "/sys/fs/cgroup/freezer\(parts[2])/freezer.state", encoding: .utf8))?.hasPrefix("FROZEN") == true
            {
                return "FROZEN"
            }
            if parts[1].isEmpty, let root = cgroupV2Root(),
                (try? String(contentsOfFile: "\(root)\(parts[2])/cgroup.events", encoding: .utf8))?.contains("frozen 1") == true
            {
                return "FROZEN"
            }
        }
        let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        guard let close = stat.lastIndex(of: ")"), stat.index(close, offsetBy: 2) < stat.endIndex else { return "?" }
        let letter = stat[stat.index(close, offsetBy: 2)]
        return letter == "T" ? "STOPPED" : String(letter)
    }

    static func cgroupV2Root() -> String? {
        guard let mounts = try? String(contentsOfFile: "/proc/mounts", encoding: .utf8) else { return nil }
        for line in mounts.split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.count > 2, fields[2] == "cgroup2" { return String(fields[1]) }
        }
        return nil
    }

    /// ECS emits every task state; the template's rule passes PENDING, RUNNING and STOPPED only, and a
    /// runtime never exits along the way (that would be Lambda's `Runtime.ExitError`).
    @Test func onlyWhatTheRuleMatchesIsDeliveredAndNoRuntimeExits() async throws {
        let before = try await stats()
        let id = try await submit(#"{"wish":"filtered"}"#)
        #expect(try await final(id)["state"] as? String == "SUCCEEDED")
        // The task's last events may come just after the wish ends: wait for the counter, within a bound.
        var after = try await stats()
        let deadline = ContinuousClock.now + .seconds(10)
        while (after["eventsFilteredOut"] ?? 0) < (before["eventsFilteredOut"] ?? 0) + 2, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
            after = try await stats()
        }
        #expect((after["eventsFilteredOut"] ?? 0) >= (before["eventsFilteredOut"] ?? 0) + 2, "PROVISIONING and DEPROVISIONING are filtered out")
        #expect(after["runtimeExits"] == 0)
    }

    /// `WISHES_API_TOKEN` in the environment of `./scripts/run` is the local web's token.
    @Test func theLocalWebRequiresTheTokenFromTheEnvironment() async throws {
        try await LocalCloudProcess.withPrivateCloud(environment: ["WISHES_API_TOKEN": "local-token-42"]) { state in
            #expect(state.apiToken == "local-token-42", "the state file names the token the web was given")
            let anonymous = try await HTTP.call("GET", "\(state.web)/api/wishes")
            #expect(anonymous.status == 401)
            let wrong = try await HTTP.call("GET", "\(state.web)/api/wishes", headers: ["Authorization": "Bearer nope"])
            #expect(wrong.status == 401)
            let right = try await HTTP.call("GET", "\(state.web)/api/wishes", headers: ["Authorization": "Bearer local-token-42"])
            #expect(right.status == 200)
            let log = (try? String(contentsOfFile: state.log ?? "", encoding: .utf8)) ?? ""
            #expect(!log.contains("local-token-42"), "a token the developer chose is not printed")
            #expect(log.contains("\(state.web)/login"), "the sign-in page is named")
        }
    }

    /// Without `WISHES_API_TOKEN`, the local cloud still protects its web: it makes a token, prints
    /// a sign-in link, and the link's cookie opens the pages but not the API.
    @Test func theLocalWebMakesATokenAndPrintsASignInLinkWhenNoneIsGiven() async throws {
        let state = try await cloud()
        #expect(state.apiToken.count == 64 && state.apiToken.allSatisfy(\.isHexDigit), "32 random bytes, hex")
        #expect(try await HTTP.call("GET", "\(state.web)/api/wishes").status == 401)
        #expect(try await HTTP.call("GET", "\(state.web)/").status == 401)
        let log = (try? String(contentsOfFile: state.log ?? "", encoding: .utf8)) ?? ""
        let link = "\(state.web)/login?token=\(state.apiToken)"
        #expect(log.contains(link), "the sign-in link is printed")
        let signedIn = try await HTTP.call("GET", link)
        #expect(signedIn.status == 200)
        let cookie = try #require(signedIn.header("set-cookie"))
        #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "\(cookie)")
        let session = try #require(cookie.split(separator: ";").first.map(String.init))
        #expect(!session.contains(state.apiToken), "the cookie is not the token")
        #expect(try await HTTP.call("GET", "\(state.web)/", headers: ["Cookie": session]).status == 200)
        #expect(try await HTTP.call("GET", "\(state.web)/api/wishes", headers: ["Cookie": session]).status == 401, "the API takes the bearer token only")
        #expect(try await state.call("GET", "/api/wishes").status == 200)
    }

    /// The pids of the parent's children whose command is `name`.
    static func children(named name: String, parent: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { pid -> Int32? in
            guard let number = Int32(pid), let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")")
            else { return nil }
            let command = stat[stat.index(after: open)..<close]
            let fields = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
            guard command == name.prefix(15), fields.count > 1, Int32(fields[1]) == parent else { return nil }
            return number
        }
    }
}
