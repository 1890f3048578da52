import Foundation
import WishesAWS

/// `WishesBench <figure> [--seconds N]`: measures one figure and prints it as a JSON line.
let arguments = CommandLine.arguments.dropFirst()
let seconds =
    arguments.firstIndex(of: "--seconds").flatMap { arguments.index(after: $0) < arguments.endIndex ? Double(arguments[arguments.index(after: $0)]) : nil } ?? 3

switch arguments.first {
case "sign":
    SigningBench(seconds: seconds).run().printLine()
case "calls":
    do {
        for figure in try await CallsBench().run() { figure.printLine() }
    } catch {
        FileHandle.standardError.write(Data("calls: \(error)\n".utf8))
        exit(1)
    }
default:
    FileHandle.standardError.write(Data("usage: WishesBench sign [--seconds N] | WishesBench calls\n".utf8))
    exit(64)
}
