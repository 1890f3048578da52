import Foundation
import Wishes

extension WishSpec {
    /// The text a wish gets when it was given none: the task says "Wished for “…”" with it, and the
    /// list links it, so an empty one showed `Wished for “”` and a row with nothing to click.
    static func defaultWishText(command: [String]?) -> String {
        guard let command, !command.isEmpty else { return "Count to three" }
        return String(ShellWords.join(command).prefix(maxWishLength))
    }

    var hasWishText: Bool { !wish.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }

    /// The spec as it is stored: with the default text when its own is empty or blank.
    var withWishText: WishSpec {
        guard !hasWishText else { return self }
        var spec = self
        spec.wish = Self.defaultWishText(command: command)
        return spec
    }

    /// What the pages call it: its name, else its text, else what the text defaults to (for wishes
    /// stored before they got one).
    var title: String {
        name ?? (hasWishText ? wish : Self.defaultWishText(command: command))
    }
}
