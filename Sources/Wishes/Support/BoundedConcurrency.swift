/// Runs `body` for each element with at most `limit` at a time, results in input order.
package func concurrentMap<Element: Sendable, Result: Sendable>(
    _ elements: [Element], limit: Int, _ body: @escaping @Sendable (Element) async -> Result
) async -> [Result] {
    await withTaskGroup(of: (Int, Result).self) { group in
        var results = [Result?](repeating: nil, count: elements.count)
        var next = 0
        func add() {
            guard next < elements.count else { return }
            let index = next
            let element = elements[index]
            group.addTask { (index, await body(element)) }
            next += 1
        }
        for _ in 0..<max(1, limit) { add() }
        for await (index, result) in group {
            results[index] = result
            add()
        }
        return results.compactMap { $0 }
    }
}
