/**
 * The tests' SFTP server: the one the simulator plays a 3PL with (src/cli/simulate/sftp-server.ts), a real
 * ssh2 `Server` checking what OpenSSH's sshd checks (public-key authentication only, paths inside the
 * root, RENAME not overwriting, servers that forbid rename or remove).
 */
export {
  type FakeSftpOptions,
  type FakeSftpServer,
  fingerprintOf,
  generateKey,
  startFakeSftp,
} from '../../../src/cli/simulate/sftp-server.js';
