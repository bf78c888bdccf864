//! `user` and `token`: accounts for people and for other systems.

use crate::args::{TokenCommand, UserCommand};
use crate::{cli_actor, table};
use anyhow::{Context, Result, bail};
use std::collections::HashMap;
use std::io::{BufRead, IsTerminal, Write};
use voltdesk_domain::Role;
use voltdesk_service::{NewUser, Service};

pub async fn user(svc: &Service, cmd: UserCommand) -> Result<()> {
    match cmd {
        UserCommand::Add {
            username,
            role,
            name,
            password,
            station,
            department,
        } => {
            let role = parse_role(&role)?;
            let station_id = match &station {
                Some(code) => Some(
                    svc.station_by_code(code)
                        .await
                        .with_context(|| format!("station `{code}`"))?
                        .id,
                ),
                None => None,
            };
            // A department implies its station.
            let (station_id, department_id) = match &department {
                Some(code) => {
                    let d = svc
                        .departments(station_id)
                        .await?
                        .into_iter()
                        .find(|d| d.code == *code)
                        .with_context(|| match &station {
                            Some(s) => format!("no department `{code}` at station {s}"),
                            None => format!("no department `{code}`"),
                        })?;
                    (Some(d.station_id), Some(d.id))
                }
                None => (station_id, None),
            };
            let password = password_from(password, &username)?;
            let u = svc
                .add_user(
                    &cli_actor(),
                    NewUser {
                        username: username.clone(),
                        display_name: name.unwrap_or_default(),
                        role,
                        password,
                        station_id,
                        department_id,
                    },
                )
                .await
                .with_context(|| format!("cannot add user `{username}`"))?;
            println!("added user {} ({}, id {})", u.username, u.role, u.id);
        }
        UserCommand::List => list(svc).await?,
        UserCommand::SipPassword { username, password } => {
            let password = match password {
                Some(p) => p,
                None => secret_from_stdin(&username)?,
            };
            let u = svc
                .user_by_name(&username)
                .await
                .with_context(|| format!("no user `{username}`"))?;
            svc.set_sip_password(&cli_actor(), u.id, &password)
                .await
                .with_context(|| format!("cannot set the SIP password of `{username}`"))?;
            println!(
                "SIP password of {username} set (realm {})",
                voltdesk_service::REALM
            );
        }
        UserCommand::Passwd { username, password } => {
            let password = password_from(password, &username)?;
            svc.set_password(&cli_actor(), &username, &password)
                .await
                .with_context(|| format!("cannot set the password of `{username}`"))?;
            println!("password of {username} changed");
        }
    }
    Ok(())
}

async fn list(svc: &Service) -> Result<()> {
    let stations: HashMap<i64, String> = svc
        .stations()
        .await?
        .into_iter()
        .map(|s| (s.id, s.code))
        .collect();
    let departments: HashMap<i64, String> = svc
        .departments(None)
        .await?
        .into_iter()
        .map(|d| (d.id, d.code))
        .collect();
    let code_of = |map: &HashMap<i64, String>, id: Option<i64>| {
        id.map(|i| map.get(&i).cloned().unwrap_or_else(|| i.to_string()))
            .unwrap_or_default()
    };
    let rows: Vec<Vec<String>> = svc
        .users()
        .await?
        .into_iter()
        .map(|u| {
            vec![
                u.id.to_string(),
                u.username,
                u.display_name,
                format!("{} {}", u.role.code(), u.role.zh()),
                code_of(&stations, u.station_id),
                code_of(&departments, u.department_id),
                if u.active { "yes" } else { "no" }.to_string(),
                crate::export::local_time(u.created_at),
            ]
        })
        .collect();
    let header = [
        "ID",
        "USERNAME",
        "NAME",
        "ROLE",
        "STATION",
        "DEPARTMENT",
        "ACTIVE",
        "CREATED",
    ];
    print!("{}", table::render(&header, &rows));
    Ok(())
}

pub async fn token(svc: &Service, cmd: TokenCommand) -> Result<()> {
    match cmd {
        TokenCommand::Create {
            user,
            name,
            scopes,
            ttl_days,
        } => {
            let scopes: Vec<String> = scopes.iter().map(|s| s.trim().to_string()).collect();
            let secret = svc
                .create_token(&cli_actor(), &user, &name, &scopes, ttl_days)
                .await
                .with_context(|| format!("cannot create a token for `{user}`"))?;
            println!("{secret}");
        }
    }
    Ok(())
}

/// A role by its code (`grid_manager`) or its Chinese label (网格客户经理).
pub fn parse_role(s: &str) -> Result<Role> {
    let s = s.trim();
    Role::ALL
        .iter()
        .copied()
        .find(|r| r.code().eq_ignore_ascii_case(s) || r.zh() == s)
        .with_context(|| {
            let all: Vec<&str> = Role::ALL.iter().map(|r| r.code()).collect();
            format!("unknown role `{s}`; use one of: {}", all.join(", "))
        })
}

/// The password from the flag or environment, else asked for twice on the terminal.
fn password_from(given: Option<String>, username: &str) -> Result<String> {
    if let Some(p) = given {
        return Ok(p);
    }
    if !std::io::stdin().is_terminal() {
        bail!("no password given: use --password, set VOLTDESK_PASSWORD, or run on a terminal");
    }
    let first = prompt_hidden(&format!("password for {username}: "))?;
    let second = prompt_hidden("again: ")?;
    if first != second {
        bail!("the two passwords differ");
    }
    Ok(first)
}

/// A secret from standard input: asked for twice on a terminal, else the first line.
fn secret_from_stdin(username: &str) -> Result<String> {
    if std::io::stdin().is_terminal() {
        let first = prompt_hidden(&format!("SIP password for {username}: "))?;
        let second = prompt_hidden("again: ")?;
        if first != second {
            bail!("the two passwords differ");
        }
        return Ok(first);
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let line = line.trim_end_matches(['\r', '\n']).to_string();
    if line.is_empty() {
        bail!("no SIP password given: use --password or write it on standard input");
    }
    Ok(line)
}

/// Reads a line from the terminal with echo off (`stty`, so no extra dependency).
fn prompt_hidden(prompt: &str) -> Result<String> {
    struct EchoBack(bool);
    impl Drop for EchoBack {
        fn drop(&mut self) {
            if self.0 {
                let _ = stty("echo");
            }
        }
    }
    let mut err = std::io::stderr();
    write!(err, "{prompt}")?;
    err.flush()?;
    let guard = EchoBack(stty("-echo"));
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    drop(guard);
    writeln!(err)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

fn stty(arg: &str) -> bool {
    std::process::Command::new("stty")
        .arg(arg)
        .stdin(std::process::Stdio::inherit())
        .status()
        .is_ok_and(|s| s.success())
}
