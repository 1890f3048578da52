import Foundation
import Wishes

/// HTML building with every user string escaped at the one place it enters the page.
enum HTML {
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    /// - Parameters:
    ///   - refresh: seconds after which the browser loads the page again, or `then`.
    ///   - then: where the refresh goes instead of this page.
    static func page(title: String, refresh: Int? = nil, then url: String? = nil, _ body: String) -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        \(refresh.map { "<meta http-equiv=\"refresh\" content=\"\($0)\(url.map { "; url=\(escape($0))" } ?? "")\">" } ?? "")
        <title>\(escape(title)) · Wishes</title><link rel="stylesheet" href="/style.css"></head>
        <body><header><a href="/" class="brand">Wishes</a> <nav><a href="/">Make a wish</a> <a href="/wishes">All wishes</a> <a href="/job-definitions">Job definitions</a> <a href="/openapi.yaml">API</a></nav></header>
        <main>\(body)</main></body></html>
        """
    }

    static func badge(_ state: WishState) -> String {
        "<span class=\"state \(state.rawValue.lowercased())\">\(state.rawValue)</span>"
    }

    static func age(_ date: Date?, now: Date = Date()) -> String {
        guard let date else { return "" }
        let seconds = Int(now.timeIntervalSince(date))
        switch seconds {
        case ..<60: return "\(max(0, seconds)) s ago"
        case ..<3600: return "\(seconds / 60) min ago"
        case ..<86400: return "\(seconds / 3600) h ago"
        default: return "\(seconds / 86400) d ago"
        }
    }

    static let style = """
        body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#1b1b1f;background:#fafafa}
        header{background:#2d1b69;color:#fff;padding:.6rem 1rem}header a{color:#fff;margin-right:1rem;text-decoration:none}
        .brand{font-weight:700}main{max-width:60rem;margin:1.5rem auto;padding:0 1rem}
        button.wish{font-size:1.3rem;padding:.8rem 1.4rem;background:#6b3fd4;color:#fff;border:0;border-radius:.5rem;cursor:pointer}
        input,select,textarea{font:inherit;padding:.3rem;width:100%;box-sizing:border-box}label{display:block;margin:.6rem 0 .2rem}
        table{border-collapse:collapse;width:100%}td,th{padding:.4rem;border-bottom:1px solid #ddd;text-align:left}
        .state{padding:.1rem .4rem;border-radius:.3rem;font-size:.85rem;font-weight:600;background:#ddd}
        .succeeded{background:#c8f0cf}.failed{background:#f6c9c9}.running,.starting{background:#cfe3ff}.runnable,.pending{background:#fff1c2}
        pre{background:#111;color:#eee;padding:.8rem;overflow:auto;max-height:30rem}.problems{color:#9b1c1c}
        details{margin:1rem 0}.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(14rem,1fr));gap:0 1rem}
        """
}
