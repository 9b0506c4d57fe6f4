/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.time;

import java.util.Objects;
import java.util.function.Consumer;

/**
 * The timer wheel of one virtual CPU (kernel: the per-CPU {@code timer_base} of kernel/time/timer.c). It holds
 * the armed timers of that CPU, keyed by expiry in jiffies, and tells the tick which ones are due.
 * <b>Runtime-internal</b>: {@code TimerList} and delayed work sit on it; applications never see it.
 *
 * <p><b>Single owner, no synchronisation.</b> One thread at a time calls a wheel and touches the entries armed
 * on it; the integration layer provides the mutual exclusion and the happens-before edges between callers
 * ({@code TimerCore} holds the CPU's base lock around every call, so a foreign thread arms and cancels directly).
 * An idle entry may later be armed on another CPU's wheel under that wheel's lock.
 *
 * <h2>States of an {@link Entry}</h2>
 * <pre>
 *   state         encoding                           -> next                 meaning
 *   IDLE          index == IDLE, wheel == null       -> ARMED, DUE           not armed anywhere
 *   ARMED(L, S)   index == L*64 + S, wheel == this   -> ARMED(L' &lt; L, S')  in wheel level L, slot S;
 *                                                       when advance() cascades slot (L, S)
 *                                                    -> FIRING               when advance() reaches its expiry
 *                                                    -> ARMED, DUE, IDLE     add() moves it, remove() cancels it
 *   DUE           index == DUE or EXPIRING           -> FIRING               armed with expires &lt;= now():
 *                                                                            fires at the next advance()
 *                                                    -> ARMED, DUE, IDLE     add(), remove()
 *   FIRING        index == IDLE, running() == e      -> IDLE                 when the callback returns
 *                                                    -> ARMED, DUE           the callback re-adds it
 * </pre>
 * FIRING is IDLE as far as {@link Entry#isArmed()} is concerned: an entry is disarmed before its callback
 * sees it, so the callback may re-add it (periodic timers). If it does, the entry is ARMED or DUE again while
 * {@link #running()} keeps returning it until the callback returns.
 *
 * <h2>Properties</h2>
 * <ul>
 *   <li>Exact expiry: an entry armed with {@code expires > now()} fires in the first {@code advance(t)} with
 *       {@code t >= expires}; never earlier, never later, at every level and across any jump.
 *       ({@code exactExpiryAtEveryLevelBoundary}, {@code tickByTickAcrossTheFirstLevels})</li>
 *   <li>Already due: an entry armed with {@code expires <= now()} fires at the next {@code advance()}, whatever
 *       its argument (even {@code now()} again). This includes re-adds from inside a callback: they never fire
 *       in the advance() that is running, so a periodic timer with period 0 cannot livelock.
 *       ({@code dueEntryFiresAtTheNextAdvance}, {@code reAddFromCallbackFiresAtTheNextAdvanceNotThisOne})</li>
 *   <li>Order: one {@code advance()} fires its entries in non-decreasing {@link Entry#expires()}; entries with
 *       equal expiry fire in the order of their last {@link #add}. ({@code firesInExpiryOrderFifoOnTies})</li>
 *   <li>Once per arming: an armed entry fires at most once, then is IDLE unless its callback re-adds it.
 *       {@link #add} of an armed entry moves it and returns {@code true} (kernel: mod_timer); {@link #remove}
 *       returns {@code true} iff the entry was armed (kernel: del_timer); a removed entry does not fire.
 *       ({@code removeBeforeExpiry}, {@code reAddMovesEarlierAndLater})</li>
 *   <li>Callbacks may {@link #add} and {@link #remove} any entry, themselves included, also entries that are
 *       due in the same advance(): a removed one does not fire. ({@code removeFromCallback...})</li>
 *   <li>{@link #nextExpiry()} is {@code max(now(), min expires of the armed entries)}, or
 *       {@code Long.MAX_VALUE} if none: the first jiffy at which advance() would fire something.
 *       ({@code nextExpiryTracksAddsRemovesAdvancesAndCascades})</li>
 *   <li>Cost does not depend on the jiffies skipped: advance() over 10^7 or 10^15 jiffies costs
 *       O(1 + fired + cascaded), and each entry is cascaded at most once per level. ({@code bigJump...})</li>
 *   <li>A callback that throws: the exception propagates out of advance(); that entry stays IDLE; no other
 *       entry is lost or fired twice: those still due fire at the next advance(), in the order above.
 *       ({@code throwingCallbackLosesNothing})</li>
 *   <li>Misuse fails fast and leaves the wheel unchanged: an entry armed on another wheel
 *       (IllegalStateException), {@code now} going backwards (IllegalArgumentException), advance() from one
 *       of its own callbacks (IllegalStateException), null arguments (NullPointerException).
 *       ({@code misuseIsRejected})</li>
 *   <li>No allocation: arming, moving, cancelling, cascading and firing only relink the entry's own
 *       fields. ({@code entriesAreReusedNotCopied}; bytes per operation are measured by JMH -prof gc)</li>
 * </ul>
 * All properties are also checked together by {@code matchesReferenceModel} (TreeSet model, fixed seeds).
 */
public final class TimerWheel {
    /* Implementation notes
     *
     * Layout. A hierarchical timing wheel with cascading (Varghese & Lauck, scheme 7) over the whole long range:
     * LEVELS = 11 levels of 64 slots (6 bits each; level 10 uses its low 4 bits, 16 slots), so no overflow list
     * is needed. Slots are intrusive doubly linked lists of Entry: heads[index] is the first entry, first.prev
     * the last one (next of the last is null), so append and unlink are O(1) and keep arming order. Two more
     * lists share the same code: DUE (armed with expires <= now) and EXPIRING (the DUE list that the running
     * advance() took over). occupied[L] has bit S set iff slot (L, S) is non-empty; levelMask has bit L set iff
     * occupied[L] != 0.
     *
     *   level  slot width (jiffies)  reaches   slot width / reach at HZ 1000
     *   0      1                     64^1      1 ms     / 64 ms
     *   1      64                    64^2      64 ms    / 4.1 s
     *   2      4096                  64^3      4.1 s    / 4.4 min
     *   3      262144                64^4      4.4 min  / 4.7 h
     *   4      2^24                  64^5      4.7 h    / 12.4 days
     *   5      2^30                  64^6      12.4 d   / 2.2 years
     *   6      2^36                  64^7      2.2 y    / 139 years
     *   7..10  2^42 .. 2^60          2^64      139 y    / beyond any long
     *
     * Clock. clk is the first jiffy not yet processed: every entry in a slot has expires >= clk. Outside
     * advance() clk == now + 1 (saturating at Long.MAX_VALUE); if a callback threw, clk may be lower (see below).
     *
     * Placement (relative to clk). Digit L of a jiffy j is bits [6L, 6L+6) of (j ^ Long.MIN_VALUE); the sign bit
     * is flipped so that unsigned digit order is signed jiffy order (jiffies may be negative). An entry goes to
     * level L = index of the highest digit in which expires and clk differ (0 if equal), slot S = digit L of
     * expires. Hence all entries of slot (L, S) share every digit above L with clk and have digit L == S; the slot
     * stands for one aligned interval of 64^L jiffies (for L = 0: exactly one jiffy), which starts at
     * intervalStart(L, S). Invariants:
     *   I1. Level 0: S >= digit 0 of clk. Level L > 0: S > digit L of clk (the expiry is >= clk and differs).
     *   I2. Every interval of level L lies after every interval of the levels below it, so the earliest entry is
     *       in the lowest non-empty level, in its lowest non-empty slot: two numberOfTrailingZeros, O(1).
     *   I3. Placement is unique for a given clk, so all wheel entries with the same expiry are in the same list,
     *       in arming order; cascading moves a whole list in order. DUE is in arming order too and is sorted
     *       stably. Where EXPIRING meets a level-0 slot of the same expiry, the wheel entry is the older one: it
     *       was armed while its expiry was > now, the due one while it was <= now, and now never decreases.
     *       So ties are FIFO without a sequence number (matchesReferenceModel checks this against one).
     * Non-invariants: a level-L > 0 slot says nothing about where in its 64^L jiffies its entries expire (hence
     * slotMin); clk is not the last advance()'s now + 1 after a callback threw.
     *
     * Cascade rule. clk may move forward to any jiffy that is <= the start of the earliest non-empty interval:
     * every entry then keeps a valid placement, except that when clk reaches the start of a level-L > 0 interval,
     * that slot must be cascaded at once: each entry is re-placed relative to the new clk, which puts it on a
     * level < L. So an entry is cascaded at most once per level (<= 10 times in its life; in practice <= 3 for a
     * timer under 4.4 min at HZ 1000).
     *
     * advance(T). now = T; the DUE list is sorted (stable merge sort by expires; usually 0 or 1 entry) and
     * becomes EXPIRING. Then loop on the earliest of: the EXPIRING head, the lowest non-empty wheel slot.
     * A level-0 slot with expiry <= T fires its head; a level-L > 0 slot whose interval starts at or before
     * T + 1 is cascaded (clk = its start); otherwise stop and set clk = T + 1. Every iteration fires one entry
     * or cascades one non-empty slot, and finds the next candidate with two bit scans, so the cost is
     * O(1 + fired + cascaded + d log d) for d entries armed while already due, independent of T - now.
     * Entries added by callbacks: expires <= T goes to DUE (not EXPIRING), so not this advance(); expires > T
     * goes into the wheel relative to the current clk, which is <= the expiry being fired <= T, so the placement
     * is valid and the entry cannot fire in this advance().
     * Firing pops one entry at a time from the head of its list, so callbacks may unlink any entry, including
     * the next one. clk is never moved past an entry that is still armed, so if a callback throws, the wheel is
     * consistent as it stands; the finally block only puts the rest of EXPIRING back in front of DUE.
     *
     * nextExpiry(). DUE or EXPIRING non-empty: now. Otherwise the lowest non-empty slot: level 0 gives its
     * expiry directly; level L > 0 gives slotMin[index], the minimum expiry of that slot, kept exact by add()
     * (min) and invalidated by removing the entry that held it (slotMinStale); a stale minimum is recomputed by
     * walking that one slot. Cost: O(1), plus O(size of that slot) once after its minimum was removed.
     *
     * Costs. add O(1) (relinking); remove O(1); advance as above; nextExpiry as above; size/now O(1).
     * Memory: 706 list heads, 704 cached minima and flags, about 12 KB per CPU; an Entry has 6 fields.
     */

    static final int LEVEL_BITS = 6;
    static final int LEVEL_SIZE = 1 << LEVEL_BITS;                 // 64 slots per level
    static final int LEVELS = 11;                                  // 11 * 6 >= 64: covers every long expiry
    private static final int LEVEL_MASK = LEVEL_SIZE - 1;
    private static final int WHEEL_SLOTS = LEVELS * LEVEL_SIZE;
    private static final int DUE = WHEEL_SLOTS;                    // list: armed with expires <= now
    private static final int EXPIRING = WHEEL_SLOTS + 1;           // list: DUE taken over by the running advance()
    private static final int IDLE = -1;                            // Entry.index when on no list

    /**
     * The intrusive node of one timer, allocated once with its timer object and reused for every arming:
     * arming, moving, cancelling and firing allocate nothing. Its state belongs to the wheel it is armed on:
     * read {@link #expires()} and {@link #isArmed()} on that wheel's CPU (the values are plain fields).
     */
    public static final class Entry {
        private final Object owner;   // I
        private TimerWheel wheel;     // C: the wheel this entry is armed on (its owner's CPU); null when idle
        private long expires;         // C: last armed expiry, kept after firing or removal
        private int index = IDLE;     // C: the list holding this entry: wheel slot L*64+S, DUE, EXPIRING or IDLE
        private Entry prev;           // C: previous in the list; the list's head points to its last entry
        private Entry next;           // C: next in the list; null for the last entry

        /** @param owner the timer object this entry belongs to, handed back by {@link #owner()} */
        public Entry(Object owner) {
            this.owner = Objects.requireNonNull(owner, "owner");
        }

        public Object owner() {
            return owner;
        }

        /** The expiry (jiffies) of the last arming; unchanged by firing or removal. */
        public long expires() {
            return expires;
        }

        /** {@code true} while armed on a wheel (ARMED or DUE); {@code false} when IDLE or FIRING. */
        public boolean isArmed() {
            return index != IDLE;
        }

        /** Wheel level while ARMED, else -1. For tests and {@link #toString()}. */
        int level() {
            return index >= 0 && index < WHEEL_SLOTS ? index >>> LEVEL_BITS : -1;
        }

        /** Wheel slot while ARMED, else -1. */
        int slot() {
            return index >= 0 && index < WHEEL_SLOTS ? index & LEVEL_MASK : -1;
        }

        @Override
        public String toString() {
            String state;
            if (index == IDLE) {
                state = "idle";
            } else if (index >= WHEEL_SLOTS) {
                state = "due";
            } else {
                state = "armed L" + level() + " S" + slot();
            }
            return "TimerWheel.Entry[" + owner + ", expires=" + expires + ", " + state + "]";
        }
    }

    private final Entry[] heads = new Entry[WHEEL_SLOTS + 2];        // I; elements C: first entry of each list
    private final long[] occupied = new long[LEVELS];                 // I; elements C: bit S = slot (L, S) non-empty
    private int levelMask;                                            // C: bit L = occupied[L] != 0
    private final long[] slotMin = new long[WHEEL_SLOTS];             // I; elements C: min expiry, levels > 0
    private final boolean[] slotMinStale = new boolean[WHEEL_SLOTS];  // I; elements C: slotMin needs a walk
    private long now;                                                 // C: argument of the last advance()
    private long clk;                                                 // C: first unprocessed jiffy, see notes
    private int size;                                                 // C: armed entries
    private long cascaded;                                            // C: entries moved by cascades (stats)
    private Entry running;                                            // C: entry whose callback is running
    private boolean advancing;                                        // C: advance() is on the stack

    /** @param nowJiffies the current jiffy; entries armed with an expiry at or before it are already due */
    public TimerWheel(long nowJiffies) {
        this.now = nowJiffies;
        this.clk = afterJiffy(nowJiffies);
    }

    /**
     * Arms {@code e} to fire at the first {@link #advance} whose argument is {@code >= expiresJiffies}; if that
     * is already {@code <= now()}, at the next advance(). Re-arming an armed entry moves it (kernel: mod_timer).
     * O(1), allocation-free.
     *
     * @return {@code true} if {@code e} was armed (and has been moved), {@code false} if it was idle
     * @throws IllegalStateException if {@code e} is armed on another wheel
     */
    public boolean add(Entry e, long expiresJiffies) {
        Objects.requireNonNull(e, "entry");
        checkNotOnOtherWheel(e, "add");
        boolean wasArmed = e.index != IDLE;
        if (wasArmed) {
            unlink(e);
        } else {
            e.wheel = this;
            size++;
        }
        e.expires = expiresJiffies;
        // expires > now implies expires >= now + 1 >= clk, as placement requires.
        link(e, expiresJiffies <= now ? DUE : wheelIndex(expiresJiffies));
        return wasArmed;
    }

    /**
     * Disarms {@code e} (kernel: del_timer): it will not fire. Safe from a callback, for any entry. O(1).
     * Does not wait for a running callback (there is none on another thread: the wheel has one owner).
     *
     * @return {@code true} if {@code e} was armed, {@code false} if it was idle (or is the firing entry)
     * @throws IllegalStateException if {@code e} is armed on another wheel
     */
    public boolean remove(Entry e) {
        Objects.requireNonNull(e, "entry");
        checkNotOnOtherWheel(e, "remove");
        if (e.index == IDLE) {
            return false;
        }
        unlink(e);
        e.wheel = null;
        size--;
        return true;
    }

    /**
     * The first jiffy {@code t >= now()} at which {@code advance(t)} would fire something:
     * {@code max(now(), earliest expiry)}, or {@code Long.MAX_VALUE} if nothing is armed. Cheap enough for every
     * NOHZ idle entry: two bit scans, plus one walk of a single slot after its earliest entry was removed.
     */
    public long nextExpiry() {
        if (heads[DUE] != null || heads[EXPIRING] != null) {
            return now;
        }
        if (levelMask == 0) {
            return Long.MAX_VALUE;
        }
        int level = Integer.numberOfTrailingZeros(levelMask);
        int slot = Long.numberOfTrailingZeros(occupied[level]);
        long first = level == 0 ? intervalStart(0, slot) : slotMinimum(level * LEVEL_SIZE + slot);
        return Math.max(first, now);
    }

    /**
     * Moves time to {@code nowJiffies} and fires every armed entry whose expiry is {@code <= nowJiffies}, plus
     * every entry that was already due, each once, in non-decreasing expiry order (ties: arming order). Each
     * entry is disarmed before {@code fire} sees it. Entries (re-)armed by {@code fire} with an expiry
     * {@code <= nowJiffies} fire at the next advance(), not in this one. Cost O(1 + fired + cascaded), however
     * far time jumps.
     *
     * @param fire the callback, run on this thread for each fired entry; if it throws, the exception
     *             propagates and the entries not yet fired stay armed (they fire at the next advance())
     * @return the number of entries fired
     * @throws IllegalArgumentException if {@code nowJiffies < now()}
     * @throws IllegalStateException    if called from one of this wheel's callbacks
     */
    public int advance(long nowJiffies, Consumer<Entry> fire) {
        Objects.requireNonNull(fire, "fire");
        if (nowJiffies < now) {
            throw new IllegalArgumentException("jiffies went backwards: advance(" + nowJiffies
                    + ") after now() == " + now);
        }
        if (advancing) {
            throw new IllegalStateException("advance() called from a timer callback of the same wheel");
        }
        advancing = true;
        now = nowJiffies;
        long target = afterJiffy(nowJiffies);
        int fired = 0;
        try {
            if (heads[DUE] != null) {
                takeDueList();
            }
            for (;;) {
                Entry x = heads[EXPIRING];
                if (levelMask != 0) {
                    int level = Integer.numberOfTrailingZeros(levelMask);
                    int slot = Long.numberOfTrailingZeros(occupied[level]);
                    long start = intervalStart(level, slot);
                    if (level == 0) {
                        if (start <= nowJiffies) {
                            Entry w = heads[slot];
                            if (x == null || start <= x.expires) {   // on a tie w is the older (I3)
                                fireOne(w, fire);
                                fired++;
                                continue;
                            }
                        }
                    } else if (start <= target && (x == null || start <= x.expires)) {
                        assert start >= clk : "interval " + start + " behind clk " + clk;
                        clk = start;   // valid: no armed entry expires before start (I2, and x.expires >= start)
                        cascade(level * LEVEL_SIZE + slot);
                        continue;
                    }
                }
                if (x == null) {
                    break;
                }
                fireOne(x, fire);
                fired++;
            }
            clk = target;   // valid: every interval left starts after target, every level-0 expiry is >= target
        } finally {
            advancing = false;
            running = null;
            if (heads[EXPIRING] != null) {
                returnExpiringToDue();
            }
        }
        return fired;
    }

    /**
     * Disarms every armed entry and hands it to {@code sink}, in no particular order, leaving the clock as it is
     * (CPU hotplug: a dead CPU's timers move to another CPU's wheel). O(size + lists).
     *
     * @return the number of entries removed
     * @throws IllegalStateException if called from one of this wheel's callbacks
     */
    public int removeAll(Consumer<Entry> sink) {
        Objects.requireNonNull(sink, "sink");
        if (advancing) {
            throw new IllegalStateException("removeAll() called from a timer callback of the same wheel");
        }
        int n = 0;
        for (int idx = 0; idx < heads.length; idx++) {
            Entry e;
            while ((e = heads[idx]) != null) {
                unlink(e);
                e.wheel = null;
                size--;
                n++;
                sink.accept(e);
            }
        }
        return n;
    }

    /** Armed entries (ARMED or DUE). */
    public int size() {
        return size;
    }

    /** The argument of the last {@link #advance}, or the constructor's. */
    public long now() {
        return now;
    }

    /** The entry whose callback {@link #advance} is running, or {@code null} (kernel: base->running_timer). */
    public Entry running() {
        return running;
    }

    /** Entries moved down a level by cascades since construction. For tests and statistics. */
    long cascaded() {
        return cascaded;
    }

    // ---- internal transitions

    /** The first unprocessed jiffy after {@code j} has been processed (saturates: Long.MAX_VALUE is the end). */
    private static long afterJiffy(long j) {
        return j == Long.MAX_VALUE ? j : j + 1;
    }

    private void checkNotOnOtherWheel(Entry e, String op) {
        // Reads another wheel's field only when the caller already broke the single-owner rule.
        TimerWheel w = e.wheel;
        if (w != null && w != this) {
            throw new IllegalStateException(op + "(): " + e + " is armed on another TimerWheel; an entry is armed on"
                    + " at most one wheel at a time and only that wheel's CPU may touch it: remove it there first");
        }
    }

    /** Wheel slot for an expiry {@code >= clk}: level = highest digit differing from clk, slot = that digit. */
    private int wheelIndex(long expires) {
        assert expires >= clk : "expiry " + expires + " behind clk " + clk;
        long diff = expires ^ clk;   // the sign flip of both operands cancels out
        int level = diff == 0 ? 0 : (63 - Long.numberOfLeadingZeros(diff)) / LEVEL_BITS;
        int slot = (int) ((expires ^ Long.MIN_VALUE) >>> (level * LEVEL_BITS)) & LEVEL_MASK;
        return level * LEVEL_SIZE + slot;
    }

    /** First jiffy of the interval of slot (level, slot), given clk: clk's digits above level, then slot. */
    private long intervalStart(int level, int slot) {
        int shift = level * LEVEL_BITS;
        if (level == LEVELS - 1) {
            return ((long) slot << shift) ^ Long.MIN_VALUE;   // no digits above; undo the sign flip
        }
        // Above the level the flipped and plain bits differ only in bit 63, which is copied from clk as is.
        return (clk & (-1L << (shift + LEVEL_BITS))) | ((long) slot << shift);
    }

    private void link(Entry e, int idx) {
        Entry head = heads[idx];
        e.index = idx;
        e.next = null;
        if (head == null) {
            heads[idx] = e;
            e.prev = e;
            if (idx < WHEEL_SLOTS) {
                slotFilled(idx, e.expires);
            }
        } else {
            Entry tail = head.prev;
            tail.next = e;
            e.prev = tail;
            head.prev = e;
            if (idx >= LEVEL_SIZE && idx < WHEEL_SLOTS && !slotMinStale[idx] && e.expires < slotMin[idx]) {
                slotMin[idx] = e.expires;
            }
        }
    }

    private void unlink(Entry e) {
        int idx = e.index;
        Entry head = heads[idx];
        Entry next = e.next;
        if (e == head) {
            heads[idx] = next;
            if (next != null) {
                next.prev = e.prev;
            }
        } else {
            e.prev.next = next;
            if (next != null) {
                next.prev = e.prev;
            } else {
                head.prev = e.prev;
            }
        }
        if (idx < WHEEL_SLOTS) {
            if (heads[idx] == null) {
                slotEmptied(idx);
            } else if (idx >= LEVEL_SIZE && e.expires == slotMin[idx]) {
                slotMinStale[idx] = true;   // another entry may share the minimum: decide lazily
            }
        }
        e.prev = null;
        e.next = null;
        e.index = IDLE;
    }

    private void slotFilled(int idx, long expires) {
        int level = idx >>> LEVEL_BITS;
        occupied[level] |= 1L << (idx & LEVEL_MASK);
        levelMask |= 1 << level;
        slotMin[idx] = expires;
        slotMinStale[idx] = false;
    }

    private void slotEmptied(int idx) {
        int level = idx >>> LEVEL_BITS;
        occupied[level] &= ~(1L << (idx & LEVEL_MASK));
        if (occupied[level] == 0) {
            levelMask &= ~(1 << level);
        }
        slotMinStale[idx] = false;
    }

    private long slotMinimum(int idx) {
        if (slotMinStale[idx]) {
            long min = Long.MAX_VALUE;
            for (Entry e = heads[idx]; e != null; e = e.next) {
                min = Math.min(min, e.expires);
            }
            slotMin[idx] = min;
            slotMinStale[idx] = false;
        }
        return slotMin[idx];
    }

    /** Re-places every entry of slot idx relative to clk (which is the start of its interval), in order. */
    private void cascade(int idx) {
        Entry e = heads[idx];
        heads[idx] = null;
        slotEmptied(idx);
        while (e != null) {
            Entry next = e.next;
            int to = wheelIndex(e.expires);   // a lower level: e.expires shares clk's digits down to idx's level
            assert to >>> LEVEL_BITS < idx >>> LEVEL_BITS : "cascade from " + idx + " to " + to;
            link(e, to);
            cascaded++;
            e = next;
        }
    }

    private void fireOne(Entry e, Consumer<Entry> fire) {
        unlink(e);
        e.wheel = null;
        size--;
        running = e;
        fire.accept(e);
        running = null;
    }

    /** Makes the DUE list (in arming order) the EXPIRING list, sorted stably by expires. */
    private void takeDueList() {
        Entry first = heads[DUE];
        heads[DUE] = null;
        boolean sorted = true;
        for (Entry e = first; e.next != null; e = e.next) {
            if (e.next.expires < e.expires) {
                sorted = false;
                break;
            }
        }
        if (!sorted) {
            first = mergeSort(first);
        }
        Entry prev = null;
        for (Entry e = first; e != null; e = e.next) {
            e.index = EXPIRING;
            e.prev = prev;
            prev = e;
        }
        first.prev = prev;
        heads[EXPIRING] = first;
    }

    /** After a callback threw: the unfired rest of EXPIRING (armed earlier) goes in front of DUE. */
    private void returnExpiringToDue() {
        Entry first = heads[EXPIRING];
        heads[EXPIRING] = null;
        for (Entry e = first; e != null; e = e.next) {
            e.index = DUE;
        }
        Entry due = heads[DUE];
        if (due != null) {
            Entry last = first.prev;
            Entry dueLast = due.prev;
            last.next = due;
            due.prev = last;
            first.prev = dueLast;
        }
        heads[DUE] = first;
    }

    /** Stable bottom-up merge sort of a next-linked chain (prev is ignored and fixed by the caller). */
    private static Entry mergeSort(Entry list) {
        for (int run = 1; ; run *= 2) {
            Entry p = list;
            Entry tail = null;
            list = null;
            int merges = 0;
            while (p != null) {
                merges++;
                Entry q = p;
                int pSize = 0;
                while (pSize < run && q != null) {
                    pSize++;
                    q = q.next;
                }
                int qSize = run;
                while (pSize > 0 || (qSize > 0 && q != null)) {
                    Entry e;
                    if (pSize == 0) {
                        e = q;
                        q = q.next;
                        qSize--;
                    } else if (qSize == 0 || q == null || p.expires <= q.expires) {   // stable: p first on ties
                        e = p;
                        p = p.next;
                        pSize--;
                    } else {
                        e = q;
                        q = q.next;
                        qSize--;
                    }
                    if (tail == null) {
                        list = e;
                    } else {
                        tail.next = e;
                    }
                    tail = e;
                }
                p = q;
            }
            tail.next = null;
            if (merges <= 1) {
                return list;
            }
        }
    }

    @Override
    public String toString() {
        return "TimerWheel[now=" + now + ", armed=" + size + ", levels in use=0b"
                + Integer.toBinaryString(levelMask) + "]";
    }
}
