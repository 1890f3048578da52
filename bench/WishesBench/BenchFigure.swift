import Foundation
import WishesAWS

/// One measured figure, printed as a JSON line so `bench/run` can set it beside the peer's.
struct BenchFigure: Codable {
    var name: String
    var unit: String
    var value: Double

    func printLine() {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        if let data = try? encoder.encode(self) {
            print(String(decoding: data, as: UTF8.self))
        }
    }
}

extension Duration {
    var seconds: Double {
        let (whole, attoseconds) = components
        return Double(whole) + Double(attoseconds) / 1e18
    }
}
