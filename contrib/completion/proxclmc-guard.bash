# bash completion for proxclmc-guard                         -*- shell-script -*-
# Installed as /usr/share/bash-completion/completions/proxclmc-guard.

# VM ids and node names come from the local pmxcfs tree when it is mounted,
# so completion never waits on SSH or the API.
_proxclmc_guard_vmids()
{
    local conf
    for conf in /etc/pve/nodes/*/qemu-server/*.conf; do
        [[ -e $conf ]] || continue
        conf=${conf##*/}
        printf '%s\n' "${conf%.conf}"
    done
}

_proxclmc_guard_nodes()
{
    local dir
    for dir in /etc/pve/nodes/*/; do
        [[ -d $dir ]] || continue
        dir=${dir%/}
        printf '%s\n' "${dir##*/}"
    done
}

_proxclmc_guard()
{
    local cur prev words cword
    _init_completion -n = || return

    local verbs='baseline scan check fix hook daemon snapshot facts'
    local global_opts='--config --from --format --assume-node --without-node
        --allow-partial --log-target -v --verbose --version --help'

    # Options of the global set that take a value.
    case $prev in
        --config)
            _filedir toml
            return
            ;;
        --script)
            _filedir
            return
            ;;
        --from | --out | --snippets-dir)
            _filedir -d
            return
            ;;
        --format)
            COMPREPLY=($(compgen -W 'table json prometheus' -- "$cur"))
            return
            ;;
        --log-target)
            COMPREPLY=($(compgen -W 'console journal' -- "$cur"))
            return
            ;;
        --without-node | --node | --target | --evacuate)
            COMPREPLY=($(compgen -W "$(_proxclmc_guard_nodes)" -- "$cur"))
            return
            ;;
        --vmid)
            COMPREPLY=($(compgen -W "$(_proxclmc_guard_vmids)" -- "$cur"))
            return
            ;;
        --to)
            COMPREPLY=($(compgen -W 'kvm64 x86-64-v2 x86-64-v2-AES x86-64-v3
                x86-64-v4' -- "$cur"))
            return
            ;;
        --strategy)
            COMPREPLY=($(compgen -W 'cpu placement' -- "$cur"))
            return
            ;;
        --tag | --undo | --storage)
            return
            ;;
    esac

    # --assume-node <name>=<cpuinfo file>: node names, then a file after '='.
    if [[ $prev == --assume-node ]] || [[ $cur == --assume-node=* ]]; then
        if [[ $cur == *=* ]]; then
            cur=${cur#*=}
            _filedir
        else
            COMPREPLY=($(compgen -S = -W "$(_proxclmc_guard_nodes)" -- "$cur"))
            compopt -o nospace
        fi
        return
    fi

    # Find the verb: the first word that is not an option or an option's value.
    local i verb='' verb_index=0
    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in
            --config | --from | --format | --assume-node | --without-node | --log-target)
                ((i++))
                ;;
            -*) ;;
            *)
                verb=${words[i]}
                verb_index=$i
                break
                ;;
        esac
    done

    if [[ -z $verb ]]; then
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W "$global_opts" -- "$cur"))
        else
            COMPREPLY=($(compgen -W "$verbs" -- "$cur"))
        fi
        return
    fi

    local opts=''
    case $verb in
        baseline) opts='--list-only --custom-model --phys-bits --apply --replace' ;;
        scan) opts='--vmid --node --tag --write-reports' ;;
        check)
            opts='--target --evacuate'
            if [[ $cur != -* ]] && ((cword == verb_index + 1)); then
                COMPREPLY=($(compgen -W "$(_proxclmc_guard_vmids)" -- "$cur"))
                return
            fi
            ;;
        fix) opts='--vmid --to --apply --undo --include-running --fix-phys-bits --strategy --allow-single-node' ;;
        hook)
            # hook <vmid> <phase>, or hook attach [--vmid ... | --all]
            if ((cword == verb_index + 1)); then
                COMPREPLY=($(compgen -W "attach $(_proxclmc_guard_vmids)" -- "$cur"))
                return
            fi
            if [[ ${words[verb_index + 1]} == attach ]]; then
                opts='--vmid --all --storage --snippets-dir --script'
            elif ((cword == verb_index + 2)); then
                COMPREPLY=($(compgen -W 'pre-start post-start pre-stop post-stop' -- "$cur"))
                return
            fi
            ;;
        daemon) opts='' ;;
        snapshot) opts='--out' ;;
        facts) opts='--publish' ;;
    esac

    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$opts $global_opts" -- "$cur"))
    fi
} &&
    complete -F _proxclmc_guard proxclmc-guard

# ex: filetype=sh
