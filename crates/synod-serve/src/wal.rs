//! The write-ahead log: one append-only file of checksummed frames, fsynced in groups.
//!
//! ```text
//! header  "SYNODWAL" (8 bytes) | version u32 LE | 0u32
//! frame   length u32 LE | crc32 (IEEE) of the payload u32 LE | payload (length bytes)
//! ```
//!
//! A frame is what one turn of a node's event loop changed (see the journal in [`crate::raft`]); it is
//! atomic: after a crash it is either all there or treated as never written. Several frames
//! are written with one `write` and made durable with one `fdatasync` (group commit).
//!
//! **Recovery.** [`Wal::open`] reads the frames back in order. A bad frame (a length running
//! past the end of the file, a zero length, a checksum that does not match) is a *torn write*
//! when nothing but zeros follows it (or nothing at all): the crash interrupted
//! the last group commit, whose frames no one was told about, so the file is truncated there
//! and a warning says how many bytes went. A bad frame followed by more data is *corruption*:
//! the data after it may have been acknowledged, so [`WalError::Corrupt`] refuses to start.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// The first bytes of every WAL file.
pub const MAGIC: &[u8; 8] = b"SYNODWAL";
/// The version of the frame format.
pub const VERSION: u32 = 1;
/// Header length in bytes.
pub const HEADER_LEN: u64 = 16;
/// Frame header length in bytes (length and checksum).
pub const FRAME_HEADER_LEN: usize = 8;
/// The largest frame accepted when reading (a longer length field is damage, not data).
pub const MAX_FRAME: u32 = 256 << 20;

/// Why a WAL cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum WalError {
    /// The file system refused.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// Not a synod WAL, or another version.
    #[error("{path}: not a synod WAL ({detail})")]
    BadHeader {
        /// The file.
        path: String,
        /// What is wrong.
        detail: String,
    },
    /// A damaged frame with data after it: not a torn write.
    #[error(
        "{path}: corrupt WAL frame at byte {offset} ({detail}) with {after} bytes of data after it; \
         refusing to start, since acknowledged writes may follow it (move the data directory away \
         to rejoin this node empty)"
    )]
    Corrupt {
        /// The file.
        path: String,
        /// Where the bad frame starts.
        offset: u64,
        /// What is wrong with it.
        detail: String,
        /// Bytes after the bad frame.
        after: u64,
    },
}

/// A torn tail that recovery cut off.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Torn {
    /// Where the bad frame started (the file's new length).
    pub offset: u64,
    /// Bytes removed.
    pub dropped: u64,
    /// What was wrong with it.
    pub detail: String,
}

/// What [`Wal::open`] read back.
#[derive(Debug, Default)]
pub struct Recovered {
    /// The payloads of the intact frames, in order.
    pub frames: Vec<Vec<u8>>,
    /// The torn tail removed, if any.
    pub torn: Option<Torn>,
    /// Whether the file was created now.
    pub created: bool,
}

/// An open WAL, positioned at its end.
#[derive(Debug)]
pub struct Wal {
    file: File,
    path: PathBuf,
    len: u64,
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> WalError + '_ {
    move |source| WalError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Appends one frame holding `payload` to `buf`.
pub fn encode_frame(buf: &mut Vec<u8>, payload: &[u8]) {
    buf.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    buf.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
    buf.extend_from_slice(payload);
}

impl Wal {
    /// Opens the WAL at `path`, creating it (and making its directory entry durable) if it
    /// does not exist; reads every intact frame and truncates a torn tail.
    pub fn open(path: &Path) -> Result<(Wal, Recovered), WalError> {
        let err = io(path);
        if !path.exists() {
            let mut file = OpenOptions::new()
                .read(true)
                .write(true)
                .create_new(true)
                .open(path)
                .map_err(&err)?;
            let mut header = Vec::with_capacity(HEADER_LEN as usize);
            header.extend_from_slice(MAGIC);
            header.extend_from_slice(&VERSION.to_le_bytes());
            header.extend_from_slice(&0u32.to_le_bytes());
            file.write_all(&header).map_err(&err)?;
            file.sync_all().map_err(&err)?;
            sync_dir(path).map_err(&err)?;
            let wal = Wal {
                file,
                path: path.to_path_buf(),
                len: HEADER_LEN,
            };
            return Ok((
                wal,
                Recovered {
                    created: true,
                    ..Recovered::default()
                },
            ));
        }
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(&err)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(&err)?;
        let (frames, good_len, torn) = scan(path, &bytes)?;
        if torn.is_some() {
            file.set_len(good_len).map_err(&err)?;
            file.sync_all().map_err(&err)?;
        }
        file.seek(SeekFrom::Start(good_len)).map_err(&err)?;
        Ok((
            Wal {
                file,
                path: path.to_path_buf(),
                len: good_len,
            },
            Recovered {
                frames,
                torn,
                created: false,
            },
        ))
    }

    /// Writes `bytes` (whole frames, see [`encode_frame`]) at the end. Not durable until
    /// [`Wal::sync`].
    pub fn write(&mut self, bytes: &[u8]) -> Result<(), WalError> {
        self.file.write_all(bytes).map_err(io(&self.path))?;
        self.len += bytes.len() as u64;
        Ok(())
    }

    /// Makes everything written so far durable (`fdatasync`).
    pub fn sync(&mut self) -> Result<(), WalError> {
        self.file.sync_data().map_err(io(&self.path))
    }

    /// The file's length in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the WAL holds no frame.
    pub fn is_empty(&self) -> bool {
        self.len <= HEADER_LEN
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Makes a new file's directory entry durable.
pub fn sync_dir(path: &Path) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    File::open(dir)?.sync_all()
}

type Scan = (Vec<Vec<u8>>, u64, Option<Torn>);

/// Reads the frames of a WAL's bytes: the intact payloads, the length of the intact prefix and
/// the torn tail, or the corruption that forbids using it.
fn scan(path: &Path, bytes: &[u8]) -> Result<Scan, WalError> {
    let name = path.display().to_string();
    if bytes.len() < HEADER_LEN as usize || &bytes[..8] != MAGIC {
        return Err(WalError::BadHeader {
            path: name,
            detail: "missing the SYNODWAL header".into(),
        });
    }
    let version = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
    if version != VERSION {
        return Err(WalError::BadHeader {
            path: name,
            detail: format!("version {version}, this synod reads version {VERSION}"),
        });
    }
    let mut frames = Vec::new();
    let mut at = HEADER_LEN as usize;
    while at < bytes.len() {
        let rest = &bytes[at..];
        // A bad frame whose claimed extent is followed by nothing but zeros (or by nothing)
        // is a torn write; anything else after it is damage.
        let mut bad = |detail: String, after_start: usize| {
            let after_start = after_start.min(bytes.len());
            if bytes[after_start..].iter().all(|b| *b == 0) {
                Ok((
                    std::mem::take(&mut frames),
                    at as u64,
                    Some(Torn {
                        offset: at as u64,
                        dropped: rest.len() as u64,
                        detail,
                    }),
                ))
            } else {
                Err(WalError::Corrupt {
                    path: name.clone(),
                    offset: at as u64,
                    detail,
                    after: (bytes.len() - after_start) as u64,
                })
            }
        };
        if rest.len() < FRAME_HEADER_LEN {
            return bad(
                format!("a frame header cut short ({} bytes)", rest.len()),
                bytes.len(),
            );
        }
        let len = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]);
        let crc = u32::from_le_bytes([rest[4], rest[5], rest[6], rest[7]]);
        if len == 0 || len > MAX_FRAME {
            // Appends only ever leave zeros past a torn write, never a wild length: unless
            // only zeros follow, this is damage.
            return bad(
                format!("impossible frame length {len}"),
                at + FRAME_HEADER_LEN,
            );
        }
        let end = FRAME_HEADER_LEN + len as usize;
        if end > rest.len() {
            return bad(
                format!(
                    "a frame of {len} bytes cut short at {} bytes",
                    rest.len() - FRAME_HEADER_LEN
                ),
                bytes.len(),
            );
        }
        let payload = &rest[FRAME_HEADER_LEN..end];
        if crc32fast::hash(payload) != crc {
            return bad("checksum mismatch".into(), at + end);
        }
        frames.push(payload.to_vec());
        at += end;
    }
    Ok((frames, at as u64, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A scratch directory, removed when dropped.
    struct Scratch(PathBuf);

    impl std::ops::Deref for Scratch {
        type Target = PathBuf;
        fn deref(&self) -> &PathBuf {
            &self.0
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn dir(name: &str) -> Scratch {
        let d = std::env::temp_dir().join(format!("synod-wal-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        Scratch(d)
    }

    fn write_frames(path: &Path, payloads: &[&[u8]]) {
        let (mut wal, rec) = Wal::open(path).unwrap();
        assert!(rec.created);
        let mut buf = Vec::new();
        for p in payloads {
            encode_frame(&mut buf, p);
        }
        wal.write(&buf).unwrap();
        wal.sync().unwrap();
    }

    #[test]
    fn frames_come_back_in_order() {
        let d = dir("order");
        let p = d.join("wal");
        write_frames(&p, &[b"one", b"two", b"three"]);
        let (wal, rec) = Wal::open(&p).unwrap();
        assert_eq!(
            rec.frames,
            vec![b"one".to_vec(), b"two".to_vec(), b"three".to_vec()]
        );
        assert_eq!(rec.torn, None);
        assert!(!rec.created);
        assert_eq!(wal.len(), std::fs::metadata(&p).unwrap().len());
    }

    #[test]
    fn a_last_frame_cut_short_is_truncated_and_reported() {
        let d = dir("short");
        let p = d.join("wal");
        write_frames(&p, &[b"one", b"two-two-two"]);
        let full = std::fs::metadata(&p).unwrap().len();
        let f = OpenOptions::new().write(true).open(&p).unwrap();
        f.set_len(full - 4).unwrap();
        let (_, rec) = Wal::open(&p).unwrap();
        assert_eq!(rec.frames, vec![b"one".to_vec()]);
        let torn = rec.torn.unwrap();
        assert!(torn.detail.contains("cut short"), "{torn:?}");
        assert_eq!(torn.offset, HEADER_LEN + 8 + 3);
        // The file was cut back: a second open finds nothing torn.
        let (_, again) = Wal::open(&p).unwrap();
        assert_eq!(again.frames.len(), 1);
        assert_eq!(again.torn, None);
    }

    #[test]
    fn a_bad_checksum_in_the_last_frame_or_before_zeros_is_torn() {
        let d = dir("lastcrc");
        let p = d.join("wal");
        write_frames(&p, &[b"one", b"two"]);
        let mut bytes = std::fs::read(&p).unwrap();
        let n = bytes.len();
        bytes[n - 1] ^= 0xff;
        std::fs::write(&p, &bytes).unwrap();
        let (_, rec) = Wal::open(&p).unwrap();
        assert_eq!(rec.frames, vec![b"one".to_vec()]);
        assert_eq!(rec.torn.unwrap().detail, "checksum mismatch");

        // A length written, then zeros where the payload should be (the file grew, the data
        // never reached the disk).
        write_frames(&d.join("wal2"), &[b"one"]);
        let mut bytes = std::fs::read(d.join("wal2")).unwrap();
        bytes.extend_from_slice(&8u32.to_le_bytes());
        bytes.extend_from_slice(&[0; 4 + 8 + 100]);
        std::fs::write(d.join("wal2"), &bytes).unwrap();
        let (_, rec) = Wal::open(&d.join("wal2")).unwrap();
        assert_eq!(rec.frames.len(), 1);
        assert!(rec.torn.is_some());
    }

    #[test]
    fn a_damaged_frame_with_data_after_it_is_corruption() {
        let d = dir("corrupt");
        let p = d.join("wal");
        write_frames(&p, &[b"one", b"two", b"three"]);
        let mut bytes = std::fs::read(&p).unwrap();
        // Flip a byte of the first payload.
        bytes[HEADER_LEN as usize + 8] ^= 0x01;
        std::fs::write(&p, &bytes).unwrap();
        let err = Wal::open(&p).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, WalError::Corrupt { offset: 16, .. }), "{msg}");
        assert!(msg.contains("checksum mismatch"), "{msg}");
        assert!(msg.contains("refusing to start"), "{msg}");
        // Nothing was truncated.
        assert_eq!(std::fs::read(&p).unwrap(), bytes);
    }

    #[test]
    fn another_file_is_not_a_wal() {
        let d = dir("header");
        let p = d.join("wal");
        std::fs::write(&p, b"hello world, not a wal at all").unwrap();
        let err = Wal::open(&p).unwrap_err().to_string();
        assert!(err.contains("not a synod WAL"), "{err}");
    }

    #[test]
    fn appending_after_recovery_continues_the_file() {
        let d = dir("append");
        let p = d.join("wal");
        write_frames(&p, &[b"one"]);
        let (mut wal, _) = Wal::open(&p).unwrap();
        let mut buf = Vec::new();
        encode_frame(&mut buf, b"two");
        wal.write(&buf).unwrap();
        wal.sync().unwrap();
        let (_, rec) = Wal::open(&p).unwrap();
        assert_eq!(rec.frames, vec![b"one".to_vec(), b"two".to_vec()]);
    }
}
