//! `scripts/make-prompts.sh` end to end: text in, WAV files out, loaded by the prompt
//! library as the IVR would load them.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use voltdesk_telephony::media::{Codec, PromptLibrary};

use crate::have_tool;

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/make-prompts.sh")
}

fn run(args: &[&str], stdin: &str, path: Option<&str>) -> Output {
    use std::io::Write;
    // By its full path, so that a test can take the tools off the PATH.
    let mut cmd = Command::new("/bin/bash");
    cmd.arg(script()).args(args);
    if let Some(path) = path {
        cmd.env("PATH", path);
    }
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The script may stop before it reads (tools missing): a broken pipe is fine.
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn the_script_makes_prompts_the_library_loads() {
    if !have_tool("espeak-ng", "the prompt script test")
        || !have_tool("sox", "the prompt script test")
    {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let list = "welcome\t您好，欢迎致电供电服务热线。\n# a comment\n\nmenu\t停电报修请按1。\n";
    let first = run(&[out], list, None);
    assert!(first.status.success(), "{}", text(&first.stderr));
    assert!(
        text(&first.stdout).contains("2 made, 0 skipped"),
        "{}",
        text(&first.stdout)
    );

    let lib = PromptLibrary::load_dir(dir.path()).unwrap();
    assert_eq!(lib.names().collect::<Vec<_>>(), vec!["menu", "welcome"]);
    assert!(lib.rejected().is_empty());
    let welcome = lib.clip("welcome");
    assert!(
        welcome.frame_count() > 25,
        "at least half a second of speech"
    );
    assert!(
        welcome
            .frames(Codec::Pcma)
            .any(|f| f.as_bytes().iter().any(|&b| b != 0xd5))
    );

    let again = run(&[out], list, None);
    assert!(
        text(&again.stdout).contains("0 made, 2 skipped"),
        "{}",
        text(&again.stdout)
    );
    let forced = run(&["--force", out], "menu\t请按2。\n", None);
    assert!(
        text(&forced.stdout).contains("1 made, 0 skipped"),
        "{}",
        text(&forced.stdout)
    );
}

#[test]
fn the_script_refuses_bad_lists_and_missing_tools() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("prompts");
    let out = out.to_str().unwrap();
    if have_tool("espeak-ng", "the prompt script's list checks")
        && have_tool("sox", "the prompt script's list checks")
    {
        let bad = run(
            &[out],
            "ok\tfine\nno tab here\n../escape\tx\nok\tagain\n",
            None,
        );
        assert!(!bad.status.success());
        let err = text(&bad.stderr);
        for expected in [
            "line 2: no TAB",
            "line 3: name '../escape'",
            "line 4: 'ok' already on line 1",
        ] {
            assert!(err.contains(expected), "{expected}: {err}");
        }
        assert!(
            !dir.path().join("prompts").exists(),
            "nothing is made from a bad list"
        );
    }
    // Without espeak-ng and sox on the PATH.
    let bare = run(&[out], "ok\tfine\n", Some("/nonexistent"));
    assert!(!bare.status.success());
    assert!(
        text(&bare.stderr).contains("espeak-ng sox not found"),
        "{}",
        text(&bare.stderr)
    );
}
