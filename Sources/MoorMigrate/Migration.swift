/// Placeholder: `moor migrate`.
public enum Migration {}
