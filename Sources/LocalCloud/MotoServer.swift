import Foundation

/// moto server on loopback for SQS and S3, stopped with the local cloud (and if it dies).
enum MotoServer {
    /// Runs moto's app, exiting when its parent goes away. AWS keeps connections alive and moto's own
    /// server closes each one, so when waitress is there it serves moto's app with keep-alive.
    static let launcher = """
    import os, sys, threading, time
    parent = os.getppid()
    def watch():
        while os.getppid() == parent: time.sleep(0.5)
        os._exit(0)
    threading.Thread(target=watch, daemon=True).start()
    host, port = sys.argv[sys.argv.index("-H") + 1], int(sys.argv[sys.argv.index("-p") + 1])
    os.environ.setdefault("MOTO_PORT", str(port))
    # moto checks a conditional PUT's If-Match / If-None-Match and then writes, unlocked, on many
    # threads; S3 makes it one atomic step, and the launch claim relies on it: PUTs take turns.
    import moto.s3.responses
    put_lock, put_object = threading.Lock(), moto.s3.responses.S3Response.put_object
    def atomic_put_object(self):
        with put_lock: return put_object(self)
    moto.s3.responses.S3Response.put_object = atomic_put_object
    try:
        from waitress import serve
    except ImportError:
        from moto.server import main
        main(sys.argv[1:])
    else:
        from moto.server import DomainDispatcherApplication, create_backend_app
        serve(DomainDispatcherApplication(create_backend_app), host=host, port=port, threads=16, _quiet=True,
              channel_timeout=120, connection_limit=1000)
    """

    static func start(port: Int) async throws -> ChildProgram {
        let program = ChildProgram(name: "moto", executable: "/usr/bin/env", arguments: ["python3", "-c", launcher, "-H", "127.0.0.1", "-p", String(port)],
                                   environment: ProcessInfo.processInfo.environment)
        // moto logs every request; keep only its warnings and errors.
        try program.start { line in
            if line.contains("WARNING") || line.contains("Error") || line.contains("Traceback") { ConsoleOutput.write("moto | \(line)") }
        }
        for _ in 0..<300 {
            if Ports.isOpen(port) { return program }
            if !program.isRunning { throw LocalCloudError.motoDidNotStart("it exited; is moto installed? (pip install 'moto[server]')") }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw LocalCloudError.motoDidNotStart("port \(port) not open after 15 s")
    }
}
