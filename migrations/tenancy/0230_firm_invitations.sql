-- A company invites its accounting firm by e-mail (FirmService.InviteFirm) with the same
-- single-use, hashed, expiring token as a member's invitation, in the same table: one
-- token mechanism, one acceptance path to audit. `kind` says what accepting gives:
--   * 'member': the acceptor joins the company with `role` (MemberService);
--   * 'firm': the acceptor's active company, an accounting firm they administer, gets a
--     grant on the company with `role` ('accountant'), the acceptor staying no member.
-- A firm's invitation takes no seat of the plan (the firm's people are not members), and
-- each kind is accepted only by its own RPC.
--
-- One open invitation per address, company and kind: a company may invite the same person
-- as a member and as its accountant at once.

ALTER TABLE invitation ADD COLUMN kind text NOT NULL DEFAULT 'member'
    CONSTRAINT invitation_kind CHECK (kind IN ('member', 'firm'));

ALTER TABLE invitation ADD CONSTRAINT invitation_firm_role
    CHECK (kind <> 'firm' OR role = 'accountant');

DROP INDEX invitation_pending_email;

CREATE UNIQUE INDEX invitation_pending_email ON invitation (company_id, kind, email)
    WHERE accepted_at IS NULL AND revoked_at IS NULL;
