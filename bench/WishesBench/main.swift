import Foundation

/// `WishesBench <figure> [--seconds N]`: measures one figure and prints it as a JSON line.
let arguments = CommandLine.arguments.dropFirst()
let seconds = arguments.firstIndex(of: "--seconds").flatMap { arguments.index(after: $0) < arguments.endIndex ? Double(arguments[arguments.index(after: $0)]) : nil } ?? 3

switch arguments.first {
case "sign":
    SigningBench(seconds: seconds).run().printLine()
default:
    FileHandle.standardError.write(Data("usage: WishesBench sign [--seconds N]\n".utf8))
    exit(64)
}
