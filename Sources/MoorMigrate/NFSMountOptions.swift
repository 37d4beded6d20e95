/// NFS mount options as legacy definitions write them, split into what moor
/// has its own keys for (`version`, `readOnly`) and the rest.
enum NFSMountOptions {
    struct Split: Equatable {
        var version: String?
        var readOnly = false
        var rest: [String] = []
    }

    static func split<S: Sequence<String>>(_ options: S) -> Split {
        var split = Split()
        for option in options {
            let pair = option.split(separator: "=", maxSplits: 1).map(String.init)
            switch pair[0] {
            case "vers" where pair.count == 2, "nfsvers" where pair.count == 2: split.version = pair[1]
            case "ro": split.readOnly = true
            case "rw": break
            default: split.rest.append(option)
            }
        }
        return split
    }

    static func split(_ text: String) -> Split {
        split(text.split(separator: ",").map(String.init))
    }
}
