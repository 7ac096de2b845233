//! The `:` command line: a line parsed into a [`Command`] by the verbs' table
//! ([`crate::tui::verbs`]), then carried out with the same steps the keys take.

use super::dialogs::Modal;
use super::dialogs::attach::AttachForm;
use super::{App, Pane, update};
use crate::oci::TagOrDigest;
use crate::tui::protocol::Effect;
use crate::tui::verbs::{self, Verb, VerbId};

/// One `:` command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Quit,
    Help,
    /// `open REPO[:TAG|@DIGEST]`.
    Open { repo: String, reference: Option<TagOrDigest> },
    /// `type T`: only referrers of artifact type `T` (empty: all).
    TypeFilter(String),
    /// `pull DIR`; the directory may be missing, which is reported once the selection is known.
    Pull { dir: String },
    /// `copy DEST`.
    Copy { destination: String },
    Delete,
    Attach,
}

impl Command {
    /// Parses one line; an empty line is no command.
    pub fn parse(line: &str) -> Result<Option<Command>, String> {
        Ok(parse_line(line)?.map(|(_, command)| command))
    }
}

/// One line: the verb's row in the table, and the command it makes.
fn parse_line(line: &str) -> Result<Option<(&'static Verb, Command)>, String> {
    let (cmd, arg) = line.trim().split_once(' ').map(|(c, a)| (c, a.trim())).unwrap_or((line.trim(), ""));
    if cmd.is_empty() {
        return Ok(None);
    }
    let Some(verb) = verbs::find(cmd) else {
        return Err(format!("unknown command `{cmd}`; try :help"));
    };
    let command = match verb.id {
        VerbId::Quit => Command::Quit,
        VerbId::Help => Command::Help,
        VerbId::Open => {
            if arg.is_empty() {
                return Err(format!("open needs a repository: :{}", verb.usage()));
            }
            let (repo, reference) = match arg.rsplit_once('@') {
                Some((r, d)) => (r, Some(d)),
                None => match arg.rsplit_once(':') {
                    Some((r, t)) if !t.contains('/') => (r, Some(t)),
                    _ => (arg, None),
                },
            };
            crate::oci::validate_repository(repo).map_err(|e| format!("{repo}: {e}"))?;
            let reference = reference.map(TagOrDigest::parse).transpose().map_err(|e| e.to_string())?;
            Command::Open { repo: repo.to_string(), reference }
        }
        VerbId::Type => Command::TypeFilter(arg.to_string()),
        VerbId::Pull => Command::Pull { dir: arg.to_string() },
        VerbId::Copy => Command::Copy { destination: arg.to_string() },
        VerbId::Delete => Command::Delete,
        VerbId::Attach => Command::Attach,
    };
    Ok(Some((verb, command)))
}

/// Runs a typed line; an error stays in the prompt for the user to mend.
pub(super) fn run(app: &mut App, line: &str) -> Result<Vec<Effect>, String> {
    let Some((row, command)) = parse_line(line)? else { return Ok(Vec::new()) };
    match command {
        Command::Quit => {
            app.quit = true;
            Ok(Vec::new())
        }
        Command::Help => {
            app.modal = Some(Modal::Help { scroll: 0 });
            Ok(Vec::new())
        }
        Command::Open { repo, reference } => {
            app.repos.add_and_select(&repo);
            let mut fx = app.open_repo(&repo);
            app.focus = Pane::Tags;
            if let Some(r) = reference {
                app.select_tag = r.tag().map(str::to_string);
                fx.extend(app.open_subject(&repo, &r));
                app.focus = Pane::Tree;
            }
            Ok(fx)
        }
        Command::TypeFilter(t) => {
            app.tree.set_type_filter(Some(t));
            Ok(Vec::new())
        }
        verb => {
            let Some(a) = app.selected_artifact() else {
                return Err("select a tag or an artifact in the tree first".into());
            };
            if row.writes {
                app.check_writable()?;
            }
            match verb {
                Command::Pull { dir } => {
                    if dir.is_empty() {
                        return Err("pull needs a directory: :pull DIR".into());
                    }
                    Ok(update::start_pull(app, a, &dir))
                }
                Command::Copy { destination } => {
                    if destination.is_empty() {
                        return Err("copy needs a destination: :copy REGISTRY/REPO[:TAG]".into());
                    }
                    Ok(update::plan_copy(app, a, &destination))
                }
                Command::Delete => Ok(update::plan_delete(app, a)),
                _ => {
                    app.modal = Some(Modal::Attach(Box::new(AttachForm::new(a))));
                    Ok(Vec::new())
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_takes_a_tag_or_a_digest_and_refuses_a_malformed_digest() {
        let d = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
        let open = |line: &str| Command::parse(line).map(|c| match c {
            Some(Command::Open { repo, reference }) => (repo, reference),
            other => panic!("not an open: {other:?}"),
        });
        assert_eq!(open("open team/app:v1").unwrap(), ("team/app".into(), Some(TagOrDigest::Tag("v1".into()))));
        assert_eq!(open(&format!("o team/app@{d}")).unwrap().1.map(|r| r.to_string()).as_deref(), Some(d));
        assert_eq!(open("open team/app").unwrap(), ("team/app".into(), None));
        assert!(open("open team/app@sha256:abc").is_err(), "a malformed digest is refused on the line");
    }
}
