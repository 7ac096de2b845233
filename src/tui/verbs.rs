//! The `:` verbs, in one table: the command line's parser, the prompt's title, the `:` key's
//! line in help and the help overlay's list of verbs are all made from it.

/// Which verb a table row is; the parser turns it and its argument into a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerbId {
    Open,
    Copy,
    Pull,
    Type,
    Attach,
    Delete,
    Help,
    Quit,
}

#[derive(Debug, Clone, Copy)]
pub struct Verb {
    pub id: VerbId,
    /// The name first, then the short names it also answers to.
    pub names: &'static [&'static str],
    /// What it takes, as the prompt's title writes it; empty when it takes nothing.
    pub args: &'static str,
    pub help: &'static str,
    /// Changes a registry: refused under `--read-only`.
    pub writes: bool,
}

impl Verb {
    pub fn name(&self) -> &'static str {
        self.names[0]
    }

    /// `open REPO[:TAG]`, or the bare name of a verb that takes nothing.
    pub fn usage(&self) -> String {
        match self.args {
            "" => self.name().to_string(),
            args => format!("{} {args}", self.name()),
        }
    }
}

pub const VERBS: &[Verb] = &[
    Verb { id: VerbId::Open, names: &["open", "o"], args: "REPO[:TAG]", help: "open a repository, at a tag or @DIGEST", writes: false },
    Verb { id: VerbId::Copy, names: &["copy", "cp"], args: "DEST", help: "copy the selection with its referrers to DEST", writes: true },
    Verb { id: VerbId::Pull, names: &["pull"], args: "DIR", help: "pull the selection into the directory DIR", writes: false },
    Verb { id: VerbId::Type, names: &["type", "t"], args: "T", help: "show only referrers of artifact type T (empty: all)", writes: false },
    Verb { id: VerbId::Attach, names: &["attach"], args: "", help: "attach files to the selection", writes: true },
    Verb { id: VerbId::Delete, names: &["delete"], args: "", help: "delete the selection with its referrers", writes: true },
    Verb { id: VerbId::Help, names: &["help", "h"], args: "", help: "show the keys and these verbs", writes: false },
    Verb { id: VerbId::Quit, names: &["quit", "q"], args: "", help: "quit", writes: false },
];

/// The verb a typed word names, by its name or a short name.
pub fn find(word: &str) -> Option<&'static Verb> {
    VERBS.iter().find(|v| v.names.contains(&word))
}

/// The command prompt's title: every verb with what it takes.
pub fn prompt_title() -> String {
    let all: Vec<String> = VERBS.iter().map(Verb::usage).collect();
    format!("Command ({})", all.join(", "))
}

/// The `:` key's line in help: the verbs that take something, their optional parts left out
/// (the prompt's title has them whole).
pub fn summary() -> String {
    let taking = VERBS.iter().filter(|v| !v.args.is_empty());
    let all: Vec<String> = taking.map(|v| format!(":{} {}", v.name(), v.args.split('[').next().unwrap_or(v.args))).collect();
    all.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_title_and_the_summary_are_made_from_the_table() {
        assert_eq!(prompt_title(), "Command (open REPO[:TAG], copy DEST, pull DIR, type T, attach, delete, help, quit)");
        assert_eq!(summary(), ":open REPO, :copy DEST, :pull DIR, :type T");
    }

    #[test]
    fn no_two_verbs_answer_to_one_name() {
        let mut seen = std::collections::HashSet::new();
        for v in VERBS {
            for name in v.names {
                assert!(seen.insert(*name), "{name} names two verbs");
                assert_eq!(find(name).map(|f| f.id), Some(v.id), "{name}");
            }
        }
    }
}
