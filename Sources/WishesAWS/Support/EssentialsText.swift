// What full Foundation's text APIs did for us, written on the standard library so that the binaries
// import FoundationEssentials only and link no ICU (its data alone was 34 MB of the Lambda's bootstrap).

extension StringProtocol {
    /// `trimmingCharacters(in: .whitespaces)`: Unicode's space separators (Zs) and tab.
    package func trimmingSpaces() -> String {
        trimmingScalars { $0 == "\t" || $0.properties.generalCategory == .spaceSeparator }
    }

    /// `trimmingCharacters(in: .whitespacesAndNewlines)`: separators (Z*), tab, LF to CR, and NEL.
    package func trimmingSpacesAndNewlines() -> String {
        trimmingScalars { scalar in
            switch scalar.properties.generalCategory {
            case .spaceSeparator, .lineSeparator, .paragraphSeparator: return true
            default: return ("\t"..."\r").contains(scalar) || scalar == "\u{85}"
            }
        }
    }

    /// `trimmingCharacters(in:)` for a set given as a predicate on scalars.
    package func trimmingScalars(where drop: (Unicode.Scalar) -> Bool) -> String {
        let scalars = String(self).unicodeScalars
        guard let first = scalars.firstIndex(where: { !drop($0) }), let last = scalars.lastIndex(where: { !drop($0) }) else {
            return ""
        }
        return String(scalars[first...last])
    }
}

extension Double {
    /// What `formatted()` printed (ICU's default number format, as in the en and root locales): at most
    /// six decimals, rounded half to even from the shortest decimal form, thousands grouped with commas.
    package var decimalText: String {
        if isNaN { return "NaN" }
        if isInfinite { return self < 0 ? "-∞" : "∞" }
        // The shortest round-tripping digits, e.g. "1.5e-07" or "1e+20", as ICU starts from them too.
        let shortest = "\(magnitude)"
        let parts = shortest.split(separator: "e", maxSplits: 1)
        let mantissa = parts[0]
        let exponent = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
        let point = mantissa.firstIndex(of: ".")
        var digits = Array(mantissa.filter { $0 != "." }.utf8).map { Int($0) - 48 }
        // The value is 0.d1d2d3... × 10^pointAt.
        var pointAt = (point.map { mantissa.distance(from: mantissa.startIndex, to: $0) } ?? mantissa.count) + exponent
        if pointAt < 0 {
            digits.insert(contentsOf: repeatElement(0, count: -pointAt), at: 0)
            pointAt = 0
        }
        if digits.count < pointAt { digits.append(contentsOf: repeatElement(0, count: pointAt - digits.count)) }
        let keep = pointAt + 6
        if digits.count > keep {
            let rest = digits[keep...]
            let half = rest.first! > 5 || (rest.first! == 5 && rest.dropFirst().contains { $0 != 0 })
            let tie = rest.first! == 5 && !rest.dropFirst().contains { $0 != 0 }
            digits.removeSubrange(keep...)
            let odd = (digits.last ?? 0) % 2 == 1
            if half || (tie && odd) {
                var index = digits.count - 1
                while index >= 0 {
                    if digits[index] == 9 {
                        digits[index] = 0
                        index -= 1
                    } else {
                        digits[index] += 1
                        break
                    }
                }
                if index < 0 {
                    digits.insert(1, at: 0)
                    pointAt += 1
                }
            }
        }
        var whole = digits.prefix(pointAt).map(String.init).joined()
        var fraction = digits.dropFirst(pointAt).map(String.init).joined()
        while fraction.hasSuffix("0") { fraction.removeLast() }
        whole = String(whole.drop { $0 == "0" })
        if whole.isEmpty { whole = "0" }
        var grouped = ""
        for (offset, character) in whole.enumerated() {
            if offset > 0 && (whole.count - offset) % 3 == 0 { grouped.append(",") }
            grouped.append(character)
        }
        return (sign == .minus ? "-" : "") + grouped + (fraction.isEmpty ? "" : "." + fraction)
    }
}
